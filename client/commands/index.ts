import { cities } from './cities.js';
import type { Command } from './command.js';
import { posts } from './posts.js';
import { signIn } from './sign-in.js';
import { watch } from './watch.js';
import { weather } from './weather.js';

/** Every subcommand, in the order the usage text lists them. A new command is one file and one line here. */
export const commands: Command[] = [weather, cities, watch, posts, signIn];

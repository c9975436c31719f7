import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './error-interface.js';
import './connection-fields.js';
import './user.js';
import './post.js';
import './weather.js';

/** The executable schema, sorted so that its printed form is stable. */
export const schema = lexicographicSortSchema(builder.toSchema());

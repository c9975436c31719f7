import { GraphQLDeferDirective, GraphQLStreamDirective } from '@graphql-tools/utils';
import { lexicographicSortSchema, specifiedDirectives } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './error-interface.js';
import './errors.js';
import './connection-fields.js';
import './user.js';
import './post.js';
import './auth.js';
import './profile.js';
import './user-admin.js';
import './post-mutations.js';
import './author-stats.js';
import './freshness.js';
import './upstream-error.js';
import './weather.js';
import './air-quality.js';
import './country.js';
import './cities.js';
import './reports.js';
import './background-work.js';
import './cache-control.js';
import './subscriptions.js';

/**
 * The executable schema, sorted so that its printed form is stable. It declares @defer and
 * @stream itself, with the definitions Yoga's defer-stream plugin would add at start-up
 * (it adds none that are there): so schema.graphql, introspection and codegen all know them,
 * and frontend operations that defer a part validate and get their types.
 */
export const schema = lexicographicSortSchema(builder.toSchema({ directives: [...specifiedDirectives, GraphQLDeferDirective, GraphQLStreamDirective] }));

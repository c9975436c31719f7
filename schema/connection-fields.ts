import { builder } from './builder.js';

// Every connection carries a totalCount, counted only when selected.
builder.globalConnectionField('totalCount', (t) => t.int({ resolve: (connection) => connection.totalCount() }));

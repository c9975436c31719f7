// GraphQL Code Generator: `npm run codegen` turns schema.graphql and the operations in
// client/operations/ into typed documents in client/generated/. The output is committed,
// and a test fails when it no longer matches what this config generates.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  // The committed printed schema, so codegen needs no running server. Against a live
  // gatherql use its URL instead, e.g. 'http://127.0.0.1:4000/graphql' (docs/frontend-clients.md).
  schema: 'schema.graphql',
  documents: ['client/operations/*.graphql'],
  // A typo in the documents glob must fail loudly rather than generate nothing.
  ignoreNoDocuments: false,
  generates: {
    'client/generated/': {
      preset: 'client',
      presetConfig: {
        // The example client has no components to hide fragment data from.
        fragmentMasking: false,
        // Trusted documents: persisted-documents.json maps each operation's hash to its text, the
        // server loads it (PERSISTED_DOCUMENTS_PATH), and each document carries its hash in
        // `__meta__.hash` for the client to send instead of the text. SHA-256 of the text, as the
        // GraphQL-over-HTTP persisted documents appendix and Apollo's persistedQuery expect.
        persistedDocuments: { hashAlgorithm: 'sha256' },
      },
      config: {
        // NodeNext resolves only explicit `.js` specifiers between the generated files.
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        // String unions instead of TS enums: nothing to import at runtime, and the
        // values compare directly with what arrives in JSON.
        enumsAsTypes: true,
        // Every custom scalar must be mapped; DateTime arrives as its ISO-8601 string.
        strictScalars: true,
        scalars: { DateTime: 'string' },
      },
    },
  },
};

export default config;

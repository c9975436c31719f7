import { LogInDocument } from '../generated/graphql.js';
import { type Command, UsageError } from './command.js';
import { reportErrors } from './report.js';

/** `sign-in <username>`: logs in with GATHERQL_PASSWORD and prints the token to export. */
export const signIn: Command = {
  name: 'sign-in',
  usage: '<username>   (password from GATHERQL_PASSWORD)',
  summary: 'log in and print a bearer token for GATHERQL_TOKEN',
  async run(args, context) {
    const [username, ...extra] = args;
    if (!username || extra.length > 0) throw new UsageError('sign-in takes exactly one username');
    // A password on the command line would land in shell history and process lists.
    const password = context.env.GATHERQL_PASSWORD;
    if (!password) throw new UsageError('set GATHERQL_PASSWORD to the password; it is never an argument');
    const result = await context.execute(LogInDocument, { username, password });
    const outcome = result.data?.logIn;
    switch (outcome?.__typename) {
      case 'AuthPayload':
        context.print(`signed in as ${outcome.user.username} (${outcome.user.role.toLowerCase()})`);
        context.print(`export GATHERQL_TOKEN=${outcome.token}`);
        break;
      case 'InvalidCredentialsError':
        context.warn(outcome.message);
        return 1;
    }
    return reportErrors(result, context);
  },
};

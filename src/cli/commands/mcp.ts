import type { Command } from 'commander';
import { type ConnectionOptions, clientFrom, withConnection } from '../connection.js';
import { exitingAction } from '../exit-codes.js';

export function registerMcp(program: Command): void {
  const cmd = withConnection(
    program
      .command('mcp')
      .description(
        'Serve the Model Context Protocol on standard input and output, so an assistant can improve, review and apply scenarios through this server.',
      ),
  ).addHelpText(
    'after',
    `
Example (an assistant's MCP configuration):
  { "command": "scenarist", "args": ["mcp"], "env": { "SCENARIST_URL": "http://127.0.0.1:8000", "SCENARIST_API_KEY": "sk_scn_…" } }

Standard output carries the protocol only; nothing else is printed there.`,
  );
  exitingAction(cmd, async (opts: ConnectionOptions) => {
    const { serveStdio } = await import('../../mcp/stdio.js');
    await serveStdio(clientFrom(opts));
  });
}

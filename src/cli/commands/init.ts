import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_URL } from '../connection.js';
import { exitingAction } from '../exit-codes.js';
import { DEFINITIONS_FILE } from '../scenario-repo.js';

/** The files `scenarist init` writes, relative to the repository; each is written only where none exists. */
export function scaffold(server: string): Array<[string, string]> {
  return [
    [
      'scenarist.yaml',
      `# Scenarist settings for this repository; the CLI finds this file from any directory below it.
# SCENARIST_* variables and command-line flags override what is here.
server: ${server}
# project: Default        # needed once the server has more than one project
agent: Billing line        # the agent \`scenarist generate\` drafts for when --agent is not given
scenarios: scenarios       # where the scenario files live; sub-directories are folders
key_file: .scenarist-key   # the API key, kept out of git (.gitignore) and out of shell history
`,
    ],
    ['.gitignore', '.scenarist-key\n'],
    [
      `scenarios/${DEFINITIONS_FILE}`,
      `# The agents, personalities and test profiles the scenario files refer to, by name.
# \`scenarist scenarios export\` writes this file; \`scenarist scenarios import\` creates what a server lacks.
agents:
  - name: Billing line
    description: Answers billing questions for Acme Telecom and can transfer to a human.
    language: en
    inbound: true
personalities: []
test_profiles: []
`,
    ],
    [
      'scenarios/Billing/refund-for-a-double-charge.yaml',
      `name: Refund for a double charge
agent: Billing line
personality: Normal Male
tags:
  - billing
max_duration: 300
instructions: |-
  You were charged twice for October.
  Ask for a refund of the second charge.
expected_outcome_prompt: The agent opens a refund request for the second charge.
`,
    ],
    [
      'scenarios/upgrade-to-the-unlimited-plan.yaml',
      `name: Upgrade to the unlimited plan
agent: Billing line
personality: Normal Female
tags:
  - sales
instructions: Ask what the unlimited plan costs, then switch to it.
expected_outcome_prompt: The agent states the price and confirms the switch.
`,
    ],
    [
      '.github/workflows/scenarist.yml',
      `# On every pull request: what the scenario files would change on the server, and what the
# scenario agent suggests for them. Nothing is written (improve without --apply writes nothing).
name: scenarist
on: pull_request
jobs:
  review:
    runs-on: ubuntu-latest
    env:
      SCENARIST_URL: \${{ vars.SCENARIST_URL }}
      SCENARIST_API_KEY: \${{ secrets.SCENARIST_API_KEY }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - run: npm install -g scenarist   # or the tarball \`npm pack\` made
      - run: scenarist status
      - run: scenarist improve --dry-run --tag billing "Make the instructions more detailed"
`,
    ],
  ];
}

export function registerInit(program: Command): void {
  const cmd = program
    .command('init')
    .description('Start a repository of scenario files: a scenarist.yaml, one agent, two example scenarios and a CI example. Existing files are left alone.')
    .argument('[dir]', 'where (default: the current directory)', '.')
    .option('--url <url>', `the server the repository talks to (default: $SCENARIST_URL or ${DEFAULT_URL})`);
  exitingAction(cmd, async (dir: string, opts: { url?: string }) => {
    const lines: string[] = [];
    for (const [rel, text] of scaffold(opts.url ?? process.env.SCENARIST_URL ?? DEFAULT_URL)) {
      const file = path.join(dir, rel);
      if (fs.existsSync(file)) {
        lines.push(`kept     ${file} (already there)`);
        continue;
      }
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      lines.push(`created  ${file}`);
    }
    const key = path.join(dir, '.scenarist-key');
    lines.push(
      '',
      'Next:',
      `  put your API key in ${key} (the server prints one on its first start)`,
      '  scenarist status                  # what the files would change on the server',
      '  scenarist scenarios import        # create the agent and the scenarios; the files get their ids',
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CertificateAndKey } from '../authority.js';

// The certificate code is imported when a command runs, so that `--help` and bad usage load none of it.

/** Exit statuses: made, refused (a file exists, no CA, bad name), bad usage. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

const USAGE = `usage: flocker-ca <command> [options]

commands:
  initialize <name>                                  make the cluster CA: cluster.crt, cluster.key
  create-control-certificate [-i DIR] [-o DIR] <hostname>
                                                     make control-<hostname>.crt/.key
  create-node-certificate [-i DIR] [-o DIR]          make <node uuid>.crt/.key
  create-api-certificate [-i DIR] [-o DIR] <username>
                                                     make <username>.crt/.key

options:
  -i, --inputpath DIR   where cluster.crt and cluster.key are (default: the working directory)
  -o, --outputpath DIR  where to write the new files (default: the working directory)

Existing files are never overwritten.`;

/** Where the command writes and what it reads from; injected so tests can run it in a scratch directory. */
export interface CommandIo {
  readonly cwd: string;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Runs `flocker-ca` with `argv` (without node and the script) and returns its exit status. */
export async function flockerCa(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`flocker-ca: ${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (parsed === 'help') {
    io.out(`${USAGE}\n`);
    return EXIT.ok;
  }
  try {
    io.out(`${await execute(parsed, io.cwd)}\n`);
    return EXIT.ok;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'CERTIFICATE') throw error;
    io.err(`flocker-ca: error: ${(error as Error).message}\n`);
    return EXIT.refused;
  }
}

// --- internals ---

type Command =
  | { readonly command: 'initialize'; readonly name: string }
  | {
      readonly command: 'create-control-certificate' | 'create-node-certificate' | 'create-api-certificate';
      readonly argument: string | undefined;
      readonly input: string;
      readonly output: string;
    };

function parse(argv: readonly string[]): Command | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      inputpath: { type: 'string', short: 'i' },
      outputpath: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help === true || command === 'help') return 'help';
  const expect = (count: number, what: string): void => {
    if (rest.length !== count) throw new Error(`${command} takes ${what}`);
  };
  switch (command) {
    case 'initialize':
      expect(1, 'one argument: the cluster name');
      if (values.inputpath !== undefined || values.outputpath !== undefined)
        throw new Error('initialize writes into the working directory; it takes no -i or -o');
      return { command, name: rest[0] ?? '' };
    case 'create-control-certificate':
      expect(1, 'one argument: the control service hostname or IP address');
      break;
    case 'create-node-certificate':
      expect(0, 'no argument');
      break;
    case 'create-api-certificate':
      expect(1, 'one argument: the API user name');
      break;
    case undefined:
      throw new Error('no command given');
    default:
      throw new Error(`unknown command ${JSON.stringify(command)}`);
  }
  return {
    command,
    argument: rest[0],
    input: values.inputpath ?? '.',
    output: values.outputpath ?? '.',
  };
}

async function execute(parsed: Command, cwd: string): Promise<string> {
  const [
    { createAuthority, issueApiCertificate, issueControlCertificate, issueNodeCertificate },
    { AUTHORITY_FILES, readCertificateFile, writeCertificateFiles },
  ] = await Promise.all([import('../authority.js'), import('../files.js')]);
  if (parsed.command === 'initialize') {
    const authority = await createAuthority(parsed.name);
    await writeCertificateFiles(cwd, 'cluster', authority);
    return (
      `Created cluster.key and cluster.crt for cluster ${authority.clusterId}. Please keep cluster.key secret, ` +
      'as anyone who can access it will be able to control your cluster.'
    );
  }
  const input = resolve(cwd, parsed.input);
  const authority: CertificateAndKey = {
    certificate: await readCertificateFile(input, AUTHORITY_FILES.certificate),
    key: await readCertificateFile(input, AUTHORITY_FILES.key),
  };
  const output = resolve(cwd, parsed.output);
  const argument = parsed.argument ?? '';
  switch (parsed.command) {
    case 'create-control-certificate': {
      await writeCertificateFiles(
        output,
        `control-${argument}`,
        await issueControlCertificate(authority, argument),
      );
      return (
        `Created control-${argument}.crt and control-${argument}.key. Copy them to /etc/flocker/control-service.crt ` +
        'and /etc/flocker/control-service.key on your control service machine, with cluster.crt, and keep the key ' +
        'readable by root only (chmod 0600).'
      );
    }
    case 'create-node-certificate': {
      const node = await issueNodeCertificate(authority);
      await writeCertificateFiles(output, node.nodeUuid, node);
      return (
        `Created ${node.nodeUuid}.crt and ${node.nodeUuid}.key for node ${node.nodeUuid}. Copy them to ` +
        '/etc/flocker/node.crt and /etc/flocker/node.key on that node, with cluster.crt, and keep the key readable ' +
        'by root only (chmod 0600).'
      );
    }
    case 'create-api-certificate': {
      await writeCertificateFiles(output, argument, await issueApiCertificate(authority, argument));
      return (
        `Created ${argument}.crt and ${argument}.key. Give them, with cluster.crt, to the API user ${argument}, ` +
        'so that they can use the control service API.'
      );
    }
  }
}

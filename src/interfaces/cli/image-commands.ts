// The vendor's and operator's file tools: signing keys, signed images, configuration files.
import { familyNames } from '../../families/family.ts';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { configDigest, ConfigError, parseConfig, redactConfig, renderConfig } from '../../protocol/config.ts';
import { ImageError, imageKeyId, inspectImageHeader, packImage, readImage, type ImageHeader } from '../../protocol/image.ts';
import { keyIdOf, readPrivateKey, readPublicKey, writeKeyPair } from '../../protocol/keys.ts';
import { CommandFailure, integerOption } from './program.ts';
import { ApiClient, serverOption, withManager } from './api-client.ts';
import type { ImageJson } from './api-types.ts';
import { uploadImage } from './image-upload.ts';
import { formatTable, printJson, when } from './table.ts';
import { viewCommand } from './view-command.ts';

export function registerImageCommands(program: Command): void {
  registerKeygen(program);
  const image = program.command('image').description('pack and check signed software images');
  registerImagePack(image);
  registerImageInspect(image);
  registerImageAdd(image);
  registerImageList(image);
  const config = program.command('config').description('read and check device configuration files');
  registerConfigShow(config);
  registerConfigValidate(config);
}

function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('make an Ed25519 key pair for signing images: PREFIX.key (private, mode 0600) and PREFIX.pub')
    .requiredOption('--out <prefix>', 'path prefix of the two key files')
    .option('--force', 'replace existing key files')
    .action((options: { out: string; force?: boolean }) => {
      const written = writeKeyPair(options.out, { overwrite: options.force === true });
      const id = keyIdOf(written.publicKey).toString('hex');
      process.stdout.write(`wrote ${written.privateKeyFile} (keep it secret) and ${written.publicKeyFile}; key id ${id}\n`);
    });
}

interface PackOptions {
  model: string;
  version: string;
  configFormat: number;
  payload: string;
  key: string;
  out: string;
  reboot: boolean;
  bootable: boolean;
  family?: string;
}

function registerImagePack(image: Command): void {
  image
    .command('pack')
    .description('sign a payload into an image for one model')
    .requiredOption('--model <model>', 'the model this software runs on, as the device reports it')
    .requiredOption('--version <version>', 'the software version')
    .requiredOption('--config-format <n>', 'the configuration format this software reads', integerOption(1, 65535))
    .requiredOption('--payload <file>', 'the software itself')
    .requiredOption('--key <file>', 'the private key (PREFIX.key from safeflash keygen)')
    .requiredOption('--out <file>', 'where to write the image')
    .option('--no-reboot', 'the device applies this software without a reboot')
    .addOption(
      new Option(
        '--family <family>',
        "wrap the vendor's file (the payload) in a manifest for this device family; the manager serves the file unchanged",
      ).choices(familyNames.filter((f) => f !== 'safeflash')),
    )
    .addOption(new Option('--no-bootable', 'test image that verifies but fails to boot (exercises revert)').hideHelp())
    .action((options: PackOptions) => {
      const payload = readInput(options.payload, 'payload');
      const privateKey = readPrivateKey(options.key);
      let packed: Buffer;
      try {
        packed = packImage(
          {
            model: options.model,
            version: options.version,
            configFormat: options.configFormat,
            ...(options.reboot ? {} : { rebootRequired: false }),
            ...(options.bootable ? {} : { bootable: false }),
            ...(options.family ? { family: options.family } : {}),
          },
          payload,
          privateKey,
        );
      } catch (error) {
        throw new CommandFailure((error as Error).message);
      }
      writeAtomically(options.out, packed);
      const header = inspectImageHeader(packed);
      process.stdout.write(`wrote ${options.out}: ${header.model} ${header.version}, ${packed.length} bytes, payload sha256 ${header.payloadSha256}\n`);
    });
}

interface InspectOptions {
  pubkey: string[];
  model?: string;
  json?: boolean;
}

function registerImageInspect(image: Command): void {
  image
    .command('inspect')
    .description('print an image header and check its digest and signature (exit 1 when the image is not valid)')
    .argument('<image>', 'the image file')
    .requiredOption('--pubkey <file>', 'a trusted public key (PREFIX.pub); repeat for several', collect)
    .option('--model <model>', 'also require the image to be for this model')
    .option('--json', 'print JSON')
    .action((file: string, options: InspectOptions) => {
      const bytes = readInput(file, 'image');
      const trustedKeys = options.pubkey.map((path) => readPublicKey(path));
      let header: ImageHeader | undefined;
      let keyId: string | undefined;
      try {
        header = inspectImageHeader(bytes);
        keyId = imageKeyId(bytes);
      } catch {
        // Not even the structure holds; readImage below says why.
      }
      let failure: ImageError | undefined;
      try {
        readImage(bytes, { trustedKeys, ...(options.model === undefined ? {} : { model: options.model }) });
      } catch (error) {
        if (!(error instanceof ImageError)) throw error;
        failure = error;
      }
      if (options.json) {
        const verdict = failure ? { valid: false, reason: failure.reason, message: failure.message } : { valid: true };
        process.stdout.write(`${JSON.stringify({ file, length: bytes.length, ...verdict, header, keyId }, null, 2)}\n`);
      } else {
        process.stdout.write(describeImage(file, bytes.length, header, keyId, failure));
      }
      if (failure) throw new CommandFailure(`${file}: ${failure.reason}: ${failure.message}`);
    });
}

function describeImage(file: string, length: number, header: ImageHeader | undefined, keyId: string | undefined, failure: ImageError | undefined): string {
  const rows: Array<[string, string]> = [['image', `${file} (${length} bytes)`]];
  if (header) {
    rows.push(
      ['model', header.model],
      [
        'family',
        header.family ? `${header.family} (a manifest: devices get the payload, the vendor's file, unchanged)` : "safeflash (the reference IAD's own software)",
      ],
      ['version', header.version],
      ['config format', String(header.configFormat)],
      ['payload', `${header.payloadLength} bytes, sha256 ${header.payloadSha256}`],
      ['reboot', header.rebootRequired === false ? 'not needed (applied live)' : 'required'],
    );
    if (header.bootable === false) rows.push(['bootable', 'no (test image)']);
    rows.push(['signed by', `key ${keyId}`]);
  }
  rows.push(['verdict', failure ? `NOT VALID (${failure.reason})` : 'valid: digest and signature check out']);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join('');
}

function registerImageAdd(image: Command): void {
  image
    .command('add')
    .description('give a signed image to the manager, which checks it against its trusted vendor keys and serves it to devices')
    .argument('<image>', 'the image file')
    .option('--json', 'print JSON')
    .addOption(serverOption())
    .action(async (file: string, options: { json?: boolean; server: string }) => {
      const api = new ApiClient(options.server);
      const added = await withManager(() => uploadImage(api, file));
      if (options.json) printJson(added);
      else
        process.stdout.write(`${file}: ${added.model} ${added.version} (config format ${added.configFormat}), ${added.size} bytes, sha256 ${added.sha256}\n`);
    });
}

function registerImageList(image: Command): void {
  viewCommand<ImageJson[]>(image, {
    name: 'list',
    description: 'list the images the manager holds',
    path: () => '/api/images',
    text: (images) =>
      images.length === 0
        ? 'no images; add one with `safeflash image add FILE`\n'
        : formatTable(
            ['SHA256', 'MODEL', 'VERSION', 'FORMAT', 'BYTES', 'ADDED'],
            images.map((i) => [i.sha256, i.model, i.version, String(i.configFormat), String(i.size), when(i.addedAt)]),
          ),
  });
}

function registerConfigShow(config: Command): void {
  config
    .command('show')
    .description('print a configuration file in its canonical form, secrets masked')
    .argument('<file>', 'the configuration file')
    .option('--json', 'print JSON')
    .option('--reveal-secrets', 'print passwords and communities as they are')
    .action((file: string, options: { json?: boolean; revealSecrets?: boolean }) => {
      const parsed = parseConfigFile(file);
      const shown = options.revealSecrets ? parsed : redactConfig(parsed);
      process.stdout.write(options.json ? `${JSON.stringify(shown, null, 2)}\n` : renderConfig(shown).toString('utf8'));
    });
}

function registerConfigValidate(config: Command): void {
  config
    .command('validate')
    .description('check a configuration file against its format (exit 1 listing the problems when it is not valid)')
    .argument('<file>', 'the configuration file')
    .option('--json', 'print JSON')
    .action((file: string, options: { json?: boolean }) => {
      const bytes = readInput(file, 'configuration');
      try {
        const parsed = parseConfig(bytes);
        const digest = configDigest(parsed);
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ file, valid: true, format: parsed.format, model: parsed.model, serial: parsed.serial, digest, problems: [] }, null, 2)}\n`
            : `${file}: valid, format ${parsed.format}, model ${parsed.model}, serial ${parsed.serial}, digest ${digest}\n`,
        );
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ file, valid: false, reason: error.reason, problems: error.problems }, null, 2)}\n`);
        } else {
          process.stdout.write(error.problems.map((problem) => `${file}: ${problem}\n`).join(''));
        }
        throw new CommandFailure(`${basename(file)} is not a valid configuration (${error.reason}, ${plural(error.problems.length, 'problem')})`);
      }
    });
}

function parseConfigFile(file: string) {
  try {
    return parseConfig(readInput(file, 'configuration'));
  } catch (error) {
    if (error instanceof ConfigError) throw new CommandFailure(`${file}: ${error.message}`);
    throw error;
  }
}

function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(error);
    throw new CommandFailure(`cannot read ${what} ${path}: ${why}`);
  }
}

/** Writes through a temporary name so that a failed write never leaves half an image under the real name. */
function writeAtomically(path: string, data: Buffer): void {
  const temporary = `${path}.partial-${process.pid}`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new CommandFailure(`cannot write ${path}: ${(error as Error).message}`);
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

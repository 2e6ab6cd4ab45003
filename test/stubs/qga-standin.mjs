#!/usr/bin/env node
// Guest-agent stand-in for tests (no guest OS runs here): speaks the QEMU guest agent protocol on a
// unix socket, one client at a time, like qemu-ga on a virtio-serial port.
// usage: qga-standin.mjs SOCKET LOG [BEHAVIOUR-JSON]
//   LOG gets one JSON line per command received: {"execute": ..., "arguments": ...}
//   BEHAVIOUR: {"hang": ["cmd", ...]}       never answer these commands
//              {"fail": {"cmd": N}}          answer these with a GenericError N times (-1: always)
//              {"noDelimited": true}         act as an old agent without guest-sync-delimited
// Commands: guest-sync-delimited (0xFF before the reply), guest-sync, guest-ping,
// guest-fsfreeze-freeze / -thaw / -status (counts 2 file systems; freeze while frozen is refused
// as qemu-ga does). A 0xFF byte from the client resets the parser.
import fs from 'node:fs';
import net from 'node:net';

const [socketPath, logPath, behaviourText] = process.argv.slice(2);
const behaviour = behaviourText ? JSON.parse(behaviourText) : {};
const hang = new Set(behaviour.hang ?? []);
const fail = { ...(behaviour.fail ?? {}) };
let frozen = false;

function answer(msg) {
  const cmd = msg.execute;
  if (cmd === 'guest-sync-delimited' && !behaviour.noDelimited) return { sentinel: true, reply: { return: msg.arguments?.id } };
  if (cmd === 'guest-sync') return { reply: { return: msg.arguments?.id } };
  if (cmd === 'guest-ping') return { reply: { return: {} } };
  if (cmd === 'guest-fsfreeze-status') return { reply: { return: frozen ? 'frozen' : 'thawed' } };
  if (cmd === 'guest-fsfreeze-freeze') {
    if (frozen) return { reply: { error: { class: 'GenericError', desc: 'Command guest-fsfreeze-freeze has been disabled: the agent is in frozen state' } } };
    frozen = true;
    return { reply: { return: 2 } };
  }
  if (cmd === 'guest-fsfreeze-thaw') {
    const n = frozen ? 2 : 0;
    frozen = false;
    return { reply: { return: n } };
  }
  return { reply: { error: { class: 'CommandNotFound', desc: `The command ${cmd} has not been found` } } };
}

const server = net.createServer((sock) => {
  let buf = Buffer.alloc(0);
  sock.on('error', () => {});
  sock.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    const ff = buf.lastIndexOf(0xff);
    if (ff >= 0) buf = buf.subarray(ff + 1);
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
      const line = buf.subarray(0, nl).toString('utf8').trim();
      buf = buf.subarray(nl + 1);
      if (!line) continue;
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        sock.write(JSON.stringify({ error: { class: 'GenericError', desc: 'JSON parse error' } }) + '\n');
        continue;
      }
      fs.appendFileSync(logPath, JSON.stringify({ execute: msg.execute, ...(msg.arguments ? { arguments: msg.arguments } : {}) }) + '\n');
      if (hang.has(msg.execute)) continue;
      if (fail[msg.execute]) {
        if (fail[msg.execute] > 0) fail[msg.execute] -= 1;
        sock.write(JSON.stringify({ error: { class: 'GenericError', desc: `injected failure of ${msg.execute}` } }) + '\n');
        continue;
      }
      const { sentinel, reply } = answer(msg);
      if (sentinel) sock.write(Buffer.from([0xff]));
      sock.write(JSON.stringify(reply) + '\n');
    }
  });
});
server.listen(socketPath, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

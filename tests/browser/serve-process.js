// Runs scripts/serve.mjs as a child process, the way npm start does, on a free port (--port 0), and reads the
// address it prints. Resolves to { origin: 'http://127.0.0.1:PORT', url: what it printed, close() }.
const { spawn } = require('child_process');
const path = require('path');

const SERVE = path.join(__dirname, '..', '..', 'scripts', 'serve.mjs');

function startServeProcess({ isolation = true, root = null } = {}) {
  const args = [SERVE, '--port', '0'];
  if (!isolation) args.push('--no-isolation');
  if (root) args.push('--root', root);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`serve.mjs printed no address within 10 s: ${output}`)), 10000);
    function fail(error) {
      clearTimeout(timer);
      child.kill();
      reject(error);
    }
    child.on('exit', (code) => fail(new Error(`serve.mjs exited with ${code}: ${output}`)));
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /(http:\/\/127\.0\.0\.1:(\d+))(\/\S*)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        origin: match[1],
        url: match[1] + match[3],
        output: () => output,
        close: () => new Promise((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

module.exports = { startServeProcess };

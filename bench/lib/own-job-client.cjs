// autocannon loads this in its worker thread for each connection: every connection follows a job
// of its own, as real clients do. The paths (one per job) come in a file the benchmark wrote.
const fs = require('node:fs');
const paths = JSON.parse(fs.readFileSync(process.env.SCENARIST_BENCH_PATHS, 'utf8'));
let next = 0;
module.exports = (client) => {
  client.setRequests([{ path: paths[next++ % paths.length] }]);
};

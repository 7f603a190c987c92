/**
 * The baseline for bench/alerts: a bare Node HTTP server that reads each request's body, writes it to Postgres (one
 * INSERT into bench_inbox) and answers 202. No authentication, no parsing beyond JSON, no work after the answer: what
 * the alert hook's answer costs at the least.
 *
 * Plain JavaScript, run by plain node like the built bot (dist/app.js).
 *
 * Env: DATABASE_URL (Postgres; the schema as search_path), PORT (0 picks a free one).
 * Prints `Bare inbox listening on http://127.0.0.1:<port>/` when ready.
 */
import { createServer } from 'node:http';
import pg from 'pg';

if (!process.env.DATABASE_URL) {
  console.error('bare-inbox needs DATABASE_URL');
  process.exit(1);
}
// The same pool size as the bot's.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
await pool.query(
  'CREATE TABLE IF NOT EXISTS bench_inbox (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())',
);

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    pool
      .query('INSERT INTO bench_inbox (body) VALUES ($1::jsonb) RETURNING id', [Buffer.concat(chunks).toString('utf8')])
      .then(
        (r) => {
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'accepted', delivery: Number(r.rows[0].id) }));
        },
        (err) => {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'unavailable', message: err.message }));
        },
      );
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`Bare inbox listening on http://127.0.0.1:${server.address().port}/`);
});

const stop = () => server.close(() => pool.end().finally(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

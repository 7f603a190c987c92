#!/bin/sh
# Starts the built bot (dist/app.js) with node, in place of this shell: node keeps its process id, so signals reach it
# directly. `npm start` and the Docker image run it; arguments go to the bot (`npm start -- --console`).
#
# The young generation, by where the database is:
# - a Postgres server (DATABASE_URL set): V8's default (16 MB semi-spaces). Under load it spends less CPU on garbage
#   collection (bench/mixed) for a few MB more resident;
# - the embedded database (no DATABASE_URL): 4 MB semi-spaces, about 25 MB less resident, so that the bot and its
#   database stay under 200 MB (bench/startup).
if [ -n "${DATABASE_URL:-}" ]; then
  exec node dist/app.js "$@"
fi
exec node --max-semi-space-size=4 dist/app.js "$@"

// Replaced by the embedded-Postgres global setup (see test/support/pg.ts).
export default async function setup() {}

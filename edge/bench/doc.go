// Package bench measures the edge → central path end to end: events per
// second from one edge agent through its outbox, MQTT and central's ingest
// into a committed store row, on SQLite and PostgreSQL; the delay from a
// counter's change to central's commit at a steady rate; and the agent's
// memory. The measurements are TestBenchIngest, run with LINEWISE_BENCH=1
// (`make bench`). It holds no production code and must never be imported.
package bench

// Package outbox is the edge agent's durable queue: every event is on disk
// (SQLite in WAL mode, fsync'd on commit) before it is sent, together with the
// counter state that produced it, and leaves only when central has committed
// it. It must never reuse a sequence number and never drop a count event.
package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/linewise/linewise/edge/signal"
	"github.com/linewise/linewise/edge/wire"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

const schema = `
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS counters (signal TEXT PRIMARY KEY, known INTEGER NOT NULL, last INTEGER NOT NULL, at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead (seq INTEGER PRIMARY KEY, body BLOB NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
`

// Outbox is safe for one writer (the agent's processor) and one reader (the
// sender) at a time. Writes share one connection; Pending reads on a
// second, which WAL lets run beside a write: otherwise a producer that
// commits back to back starves the sender of the connection, and the
// faster events arrive the slower they leave.
type Outbox struct {
	db      *sql.DB
	rd      *sql.DB // Pending only
	edgeID  string
	nextSeq uint64 // only touched inside Commit, which the single processor calls
	depth   atomic.Int64
	// bodySize is the mean encoded event (and comma) of the last batch
	// read, so the next one's buffer is sized once.
	bodySize atomic.Int64
	// Statements run per commit, batch or ack, prepared once: parsing
	// them again each time cost more than a commit's rows (the multi-row
	// INSERTs most). ins[k] inserts 1<<k rows.
	ins     [insertPow + 1]*sql.Stmt
	nextSt  *sql.Stmt
	ackSt   *sql.Stmt
	pending *sql.Stmt // on rd
	ages    ages      // when events were written (age.go)
}

// A commit's events go in with as few multi-row INSERTs of 1, 2, 4, ...,
// 1<<insertPow rows as add up to their number.
const insertPow = 8

// Open opens or creates the outbox in dir for edgeID. An outbox belongs to
// one edge id for ever: opening it for another is refused, because the
// sequence numbers central has seen are that edge's.
func Open(dir, edgeID string) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	path := filepath.Join(dir, "outbox.db")
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	o := &Outbox{db: db, edgeID: edgeID}
	if err := o.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	// Opened after init, so the file is already in WAL mode.
	if o.rd, err = sql.Open("sqlite", dsn+"&_pragma=query_only(1)"); err != nil {
		db.Close()
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	o.rd.SetMaxOpenConns(1)
	if err := o.prepare(); err != nil {
		o.Close()
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	return o, nil
}

func (o *Outbox) prepare() error {
	var err error
	for k := range o.ins {
		q := `INSERT INTO outbox(seq, body) VALUES (?, ?)` + strings.Repeat(`, (?, ?)`, 1<<k-1)
		if o.ins[k], err = o.db.Prepare(q); err != nil {
			return err
		}
	}
	if o.nextSt, err = o.db.Prepare(`UPDATE meta SET v=? WHERE k='next_seq'`); err != nil {
		return err
	}
	if o.ackSt, err = o.db.Prepare(`DELETE FROM outbox WHERE seq >= ? AND seq <= ?`); err != nil {
		return err
	}
	o.pending, err = o.rd.Prepare(`SELECT seq, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`)
	return err
}

func (o *Outbox) init() error {
	if _, err := o.db.Exec(schema); err != nil {
		return err
	}
	var owner string
	switch err := o.db.QueryRow(`SELECT v FROM meta WHERE k='edge_id'`).Scan(&owner); {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := o.db.Exec(`INSERT INTO meta(k,v) VALUES('edge_id',?),('next_seq','1')`, o.edgeID); err != nil {
			return err
		}
	case err != nil:
		return err
	case owner != o.edgeID:
		return fmt.Errorf("belongs to edge %q, not %q: use another data_dir", owner, o.edgeID)
	}
	var next string
	if err := o.db.QueryRow(`SELECT v FROM meta WHERE k='next_seq'`).Scan(&next); err != nil {
		return err
	}
	n, err := strconv.ParseUint(next, 10, 64)
	if err != nil || n == 0 {
		return fmt.Errorf("corrupt next_seq %q", next)
	}
	o.nextSeq = n
	var depth int64
	if err := o.db.QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&depth); err != nil {
		return err
	}
	o.depth.Store(depth)
	if depth > 0 {
		var first int64
		if err := o.db.QueryRow(`SELECT MIN(seq) FROM outbox`).Scan(&first); err != nil {
			return err
		}
		o.ages.wrote(uint64(first), time.Now())
	}
	return nil
}

// Close closes the database.
func (o *Outbox) Close() error {
	var errs []error
	for _, st := range append(o.ins[:], o.nextSt, o.ackSt, o.pending) {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(append(errs, o.rd.Close(), o.db.Close())...)
}

// Depth is the number of events not yet acknowledged.
func (o *Outbox) Depth() int64 { return o.depth.Load() }

// Counters returns the persisted state of every cumulative counter.
func (o *Outbox) Counters() (map[string]signal.CounterState, error) {
	rows, err := o.db.Query(`SELECT signal, known, last, at FROM counters`)
	if err != nil {
		return nil, fmt.Errorf("outbox counters: %w", err)
	}
	defer rows.Close()
	out := map[string]signal.CounterState{}
	for rows.Next() {
		var s string
		var known int
		var last, at int64
		if err := rows.Scan(&s, &known, &last, &at); err != nil {
			return nil, err
		}
		out[s] = signal.CounterState{Known: known == 1, Last: uint64(last), At: at}
	}
	return out, rows.Err()
}

// Meta reads a value the agent keeps across restarts ("" if unset).
func (o *Outbox) Meta(key string) (string, error) {
	var v string
	err := o.db.QueryRow(`SELECT v FROM meta WHERE k=?`, "x."+key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// Tx collects what one processing step produced; Commit writes it atomically.
type Tx struct {
	events   []wire.Event
	counters map[string]signal.CounterState
	meta     map[string]string
}

// Append queues an event; its Seq and EdgeID are assigned at commit.
func (t *Tx) Append(e wire.Event) { t.events = append(t.events, e) }

// SetCounter records a counter's new state.
func (t *Tx) SetCounter(sig string, st signal.CounterState) {
	if t.counters == nil {
		t.counters = map[string]signal.CounterState{}
	}
	t.counters[sig] = st
}

// SetMeta records an agent value.
func (t *Tx) SetMeta(k, v string) {
	if t.meta == nil {
		t.meta = map[string]string{}
	}
	t.meta[k] = v
}

// Empty reports whether the transaction would write nothing.
func (t *Tx) Empty() bool { return len(t.events) == 0 && len(t.counters) == 0 && len(t.meta) == 0 }

// Commit writes tx in one SQLite transaction and returns the events with
// their sequence numbers. Nothing is written if it fails.
func (o *Outbox) Commit(ctx context.Context, t *Tx) ([]wire.Event, error) {
	if t.Empty() {
		return nil, nil
	}
	// Events are numbered and encoded before the transaction begins: the
	// write connection is held only for the writes.
	seq := o.nextSeq
	out := make([]wire.Event, len(t.events))
	bodies := make([][]byte, len(t.events))
	for i, e := range t.events {
		e.EdgeID, e.Seq = o.edgeID, seq
		seq++
		body, err := e.AppendJSON(nil) // json.Marshal's bytes, cheaper
		if err != nil {
			return nil, fmt.Errorf("outbox commit: %w", err)
		}
		out[i], bodies[i] = e, body
	}
	sqlTx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("outbox commit: %w", err)
	}
	defer sqlTx.Rollback()
	// Many rows per INSERT: one statement per event cost more in the
	// driver than the rows did in SQLite.
	args := make([]any, 0, 2<<insertPow)
	for from := 0; from < len(out); {
		k := insertPow
		for 1<<k > len(out)-from {
			k--
		}
		to := from + 1<<k
		args = args[:0]
		for i := from; i < to; i++ {
			args = append(args, int64(out[i].Seq), bodies[i])
		}
		if _, err := sqlTx.StmtContext(ctx, o.ins[k]).ExecContext(ctx, args...); err != nil {
			return nil, fmt.Errorf("outbox commit: %w", err)
		}
		from = to
	}
	for s, st := range t.counters {
		known := 0
		if st.Known {
			known = 1
		}
		if _, err := sqlTx.Exec(`INSERT INTO counters(signal, known, last, at) VALUES(?,?,?,?)
			ON CONFLICT(signal) DO UPDATE SET known=excluded.known, last=excluded.last, at=excluded.at`, s, known, int64(st.Last), st.At); err != nil {
			return nil, fmt.Errorf("outbox commit: %w", err)
		}
	}
	for k, v := range t.meta {
		if _, err := sqlTx.Exec(`INSERT INTO meta(k, v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v`, "x."+k, v); err != nil {
			return nil, fmt.Errorf("outbox commit: %w", err)
		}
	}
	if seq != o.nextSeq {
		if _, err := sqlTx.StmtContext(ctx, o.nextSt).ExecContext(ctx, strconv.FormatUint(seq, 10)); err != nil {
			return nil, fmt.Errorf("outbox commit: %w", err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, fmt.Errorf("outbox commit: %w", err)
	}
	o.nextSeq = seq
	o.depth.Add(int64(len(out)))
	if len(out) > 0 {
		o.ages.wrote(out[0].Seq, time.Now())
	}
	return out, nil
}

// Pending returns up to limit unacknowledged events with seq > after, oldest first.
func (o *Outbox) Pending(ctx context.Context, after uint64, limit int) ([]wire.Event, error) {
	rows, err := o.rd.QueryContext(ctx, `SELECT body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("outbox pending: %w", err)
	}
	defer rows.Close()
	var out []wire.Event
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var e wire.Event
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, fmt.Errorf("outbox pending: corrupt event: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// PendingBatch is Pending in wire form: up to limit unacknowledged events
// with seq > after, oldest first, spliced into one batch payload as they
// are stored (each is json.Marshal of its wire.Event), without decoding
// them. Events is 0 when nothing is pending.
func (o *Outbox) PendingBatch(ctx context.Context, after uint64, limit int) (wire.EncodedBatch, error) {
	var eb wire.EncodedBatch
	rows, err := o.pending.QueryContext(ctx, int64(after), limit)
	if err != nil {
		return eb, fmt.Errorf("outbox pending: %w", err)
	}
	defer rows.Close()
	hint := int(o.bodySize.Load())*limit + 64
	w := wire.NewBatchWriter(o.edgeID, hint)
	for rows.Next() {
		var seq int64
		var body sql.RawBytes // the driver's copy, appended before the next row
		if err := rows.Scan(&seq, &body); err != nil {
			return eb, fmt.Errorf("outbox pending: %w", err)
		}
		// Spliced unchecked, a damaged row would make central refuse the
		// whole batch; this way it stops here, as Pending's decoding does.
		if !json.Valid(body) {
			return eb, fmt.Errorf("outbox pending: corrupt event %d", seq)
		}
		if w.Len() == 0 {
			eb.From = uint64(seq)
		}
		eb.To = uint64(seq)
		w.Add(body)
	}
	if err := rows.Err(); err != nil {
		return eb, fmt.Errorf("outbox pending: %w", err)
	}
	if eb.Events = w.Len(); eb.Events > 0 {
		eb.Payload = w.Bytes()
		o.bodySize.Store(int64(len(eb.Payload) / eb.Events))
	}
	return eb, nil
}

// Ack removes the events central has committed, from..to inclusive, and
// returns how many were still there (a repeated ack removes nothing).
func (o *Outbox) Ack(ctx context.Context, from, to uint64) (int64, error) {
	res, err := o.ackSt.ExecContext(ctx, int64(from), int64(to))
	if err != nil {
		return 0, fmt.Errorf("outbox ack %d..%d: %w", from, to, err)
	}
	n, _ := res.RowsAffected()
	o.depth.Add(-n)
	return n, nil
}

// Reject moves events central refused for good to the dead table, where an
// operator can inspect them; they are not resent.
func (o *Outbox) Reject(ctx context.Context, from, to uint64, reason string) (int64, error) {
	tx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT OR IGNORE INTO dead(seq, body, reason, at) SELECT seq, body, ?, ? FROM outbox WHERE seq >= ? AND seq <= ?`,
		reason, time.Now().UnixNano(), int64(from), int64(to)); err != nil {
		return 0, fmt.Errorf("outbox reject: %w", err)
	}
	res, err := tx.Exec(`DELETE FROM outbox WHERE seq >= ? AND seq <= ?`, int64(from), int64(to))
	if err != nil {
		return 0, fmt.Errorf("outbox reject: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	o.depth.Add(-n)
	return n, nil
}

// Dead counts refused events.
func (o *Outbox) Dead() (int64, error) {
	var n int64
	err := o.db.QueryRow(`SELECT COUNT(*) FROM dead`).Scan(&n)
	return n, err
}

package outbox

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/linewise/linewise/edge/signal"
	"github.com/linewise/linewise/edge/wire"
)

func countEvent(n int64) wire.Event {
	return wire.Event{Line: "L1", Type: wire.TypeCount, SourceTime: time.Unix(1700000000, 0).UTC(), Count: &wire.Count{Counter: "good", Good: n}}
}

func TestSequenceSurvivesReopenAndIsNeverReused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o, err := Open(dir, "e1")
	if err != nil {
		t.Fatal(err)
	}
	tx := &Tx{}
	tx.Append(countEvent(1))
	tx.Append(countEvent(2))
	tx.SetCounter("good", signal.CounterState{Known: true, Last: 65535, At: 42})
	evs, err := o.Commit(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	if evs[0].Seq != 1 || evs[1].Seq != 2 || evs[0].EdgeID != "e1" {
		t.Fatalf("seqs %+v", evs)
	}
	if n, _ := o.Ack(ctx, 1, 2); n != 2 {
		t.Fatalf("acked %d", n)
	}
	if n, _ := o.Ack(ctx, 1, 2); n != 0 {
		t.Fatalf("repeated ack removed %d", n)
	}
	o.Close()

	o, err = Open(dir, "e1")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	cs, err := o.Counters()
	if err != nil || cs["good"] != (signal.CounterState{Known: true, Last: 65535, At: 42}) {
		t.Fatalf("counters after reopen: %+v %v", cs, err)
	}
	tx = &Tx{}
	tx.Append(countEvent(3))
	evs, err = o.Commit(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	if evs[0].Seq != 3 {
		t.Fatalf("after reopen seq %d, want 3 (never reuse acked numbers)", evs[0].Seq)
	}
	p, err := o.Pending(ctx, 0, 10)
	if err != nil || len(p) != 1 || p[0].Seq != 3 || p[0].Count.Good != 3 {
		t.Fatalf("pending %+v %v", p, err)
	}
	if o.Depth() != 1 {
		t.Fatalf("depth %d", o.Depth())
	}
}

func TestOutboxBelongsToOneEdge(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, "e1")
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	if _, err := Open(dir, "e2"); err == nil {
		t.Fatal("opened e1's outbox as e2")
	}
}

func TestRejectMovesToDead(t *testing.T) {
	ctx := context.Background()
	o, err := Open(t.TempDir(), "e1")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	tx := &Tx{}
	tx.Append(countEvent(1))
	if _, err := o.Commit(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if n, err := o.Reject(ctx, 1, 1, "bad"); err != nil || n != 1 {
		t.Fatalf("reject %d %v", n, err)
	}
	if d, _ := o.Dead(); d != 1 || o.Depth() != 0 {
		t.Fatalf("dead %d depth %d", d, o.Depth())
	}
}

func TestPendingBatchSplicesStoredEvents(t *testing.T) {
	ctx := context.Background()
	o, err := Open(t.TempDir(), "e1")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	tx := &Tx{}
	for n := range int64(5) {
		tx.Append(countEvent(n + 1))
	}
	evs, err := o.Commit(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	if eb, err := o.PendingBatch(ctx, 5, 10); err != nil || eb.Events != 0 || eb.Payload != nil {
		t.Fatalf("nothing pending after 5: %+v %v", eb, err)
	}
	eb, err := o.PendingBatch(ctx, 1, 3)
	if err != nil || eb.Events != 3 || eb.From != 2 || eb.To != 4 {
		t.Fatalf("pending batch %d events %d..%d, %v; want 3 events 2..4", eb.Events, eb.From, eb.To, err)
	}
	b, err := wire.DecodeBatch("e1", eb.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.Events, evs[1:4]) {
		t.Fatalf("decoded %+v\nwant %+v", b.Events, evs[1:4])
	}
}

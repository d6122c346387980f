package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"sync"
	"time"
)

// ages remembers, coarsely, when events were written, so the agent can say
// how long its oldest unacknowledged event has waited (its heartbeat tells
// central, which shows a stalled edge). One mark per second of writes at
// most: a day's backlog costs about 86,400 marks. Events already in the
// outbox at Open are marked with the time of Open: their age is at least
// that, and not known beyond it.
type ages struct {
	mu    sync.Mutex
	marks []mark // seq ascending; marks[i] covers seqs from marks[i].seq to the next mark's
}

type mark struct {
	seq uint64
	at  time.Time
}

func (a *ages) wrote(seq uint64, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if n := len(a.marks); n > 0 && at.Sub(a.marks[n-1].at) < time.Second {
		return
	}
	a.marks = append(a.marks, mark{seq, at})
}

// since returns when seq (the oldest pending event) was written at the
// latest, forgetting marks wholly before it.
func (a *ages) since(seq uint64) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := sort.Search(len(a.marks), func(i int) bool { return a.marks[i].seq > seq }) - 1
	if i < 0 {
		return time.Time{}, false
	}
	a.marks = a.marks[i:]
	return a.marks[0].at, true
}

// OldestUnacked is how long the oldest event central has not acknowledged
// has been waiting; 0 when the outbox is empty.
func (o *Outbox) OldestUnacked(ctx context.Context) (time.Duration, error) {
	if o.Depth() == 0 {
		return 0, nil
	}
	var seq sql.NullInt64
	if err := o.rd.QueryRowContext(ctx, `SELECT MIN(seq) FROM outbox`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("outbox oldest: %w", err)
	}
	if !seq.Valid {
		return 0, nil
	}
	at, ok := o.ages.since(uint64(seq.Int64))
	if !ok {
		return 0, nil
	}
	return time.Since(at), nil
}

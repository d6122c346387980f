package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/linewise/linewise/edge/wire"
)

// Report applies events a person reported by hand at a station (a line
// without a PLC): the station is their edge (domain.StationEdgeID) and they
// may only be for its line. They pass the same bounds, the same store
// transaction, the same exception rules and the same notifications as an
// edge's batch, so counts, downtime, OEE and exceptions cannot tell them
// from a machine's. A refused event is an error for the person (it is not
// quarantined: nobody's outbox waits on it). Events stored before (a
// retry) are skipped like an edge's resend.
func (in *Ingest) Report(ctx context.Context, line string, b wire.Batch) error {
	if len(b.Events) == 0 {
		return errors.New("ingest: an empty report")
	}
	b.Version = wire.Version
	valid, bad := b.ScreenWith(time.Now(), in.cfg.Limits, func(l string) bool { return l == line })
	if len(bad) > 0 {
		in.rejected.Add(int64(len(bad)))
		return fmt.Errorf("%w: %s", ErrMalformed, bad[0].Reason)
	}
	b.Events = valid
	j := &job{edge: b.EdgeID, b: b, ack: wire.Ack{EdgeID: b.EdgeID, From: b.Events[0].Seq, To: b.Events[len(b.Events)-1].Seq}}
	return in.apply(ctx, []*job{j})
}

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/linewise/linewise/central/i18n"
	"github.com/linewise/linewise/central/notify"
	"github.com/linewise/linewise/central/reports"
)

// reportEnclosure makes a report_ready notice's e-mails and webhooks carry
// the stored revision it announces: a summary in the text, the report as
// JSON (as /api/v1/reports/stored/… gives its content) and, for a day, the
// workbook (as /api/v1/reports/daily.xlsx gives it, in English). Other
// notices carry nothing.
func (a *App) reportEnclosure(ctx context.Context, n notify.Notice) (notify.Enclosure, error) {
	if n.Kind != notify.KindReportReady {
		return notify.Enclosure{}, nil
	}
	kind, date, shift := n.Vars["kind"], n.Vars["date"], n.Vars["shift"]
	rev, _ := strconv.Atoi(n.Vars["revision"]) // 0 (a notice from before revisions were named): the latest
	sr, err := a.store.StoredReportRevision(ctx, kind, date, shift, rev)
	if err != nil {
		return notify.Enclosure{}, fmt.Errorf("stored %s report %s %s: %w", kind, date, shift, err)
	}
	loc, err := time.LoadLocation(a.cfg.Planning.Timezone)
	if err != nil {
		return notify.Enclosure{}, err
	}
	name := "report-" + kind + "-" + date
	if shift != "" {
		name += "-" + shift
	}
	name += "-r" + strconv.Itoa(sr.Revision)
	head := fmt.Sprintf("Revision %d, generated %s: %s", sr.Revision, sr.GeneratedAt.In(loc).Format("2006-01-02 15:04 MST"), sr.Reason)
	enc := notify.Enclosure{Files: []notify.File{{Name: name + ".json", ContentType: "application/json", Data: sr.Content}}}
	switch kind {
	case reports.KindDay:
		var r reports.DayReport
		if err := json.Unmarshal(sr.Content, &r); err != nil {
			return notify.Enclosure{}, fmt.Errorf("stored day report %s: %w", date, err)
		}
		var b bytes.Buffer
		if err := reports.WriteDayXLSX(&b, r, i18n.English, reports.Stamp{Revision: sr.Revision, GeneratedAt: sr.GeneratedAt, Location: loc}); err != nil {
			return notify.Enclosure{}, fmt.Errorf("day report %s as xlsx: %w", date, err)
		}
		enc.Files = append(enc.Files, notify.File{Name: name + ".xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: b.Bytes()})
		enc.Text = head + "\n" + r.Summary()
	default:
		var r reports.ShiftReport
		if err := json.Unmarshal(sr.Content, &r); err != nil {
			return notify.Enclosure{}, fmt.Errorf("stored shift report %s %s: %w", date, shift, err)
		}
		enc.Text = head + "\n" + r.Summary()
	}
	return enc, nil
}

package reports

import (
	"fmt"
	"strings"

	"github.com/linewise/linewise/central/oee"
)

// Texts of the summaries delivered with a stored report (e-mail and
// webhook texts are English, as the notices' own titles are).

func pctText(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f %%", *v*100)
}

func oeeText(f oee.Totals) string {
	return fmt.Sprintf("OEE %s (A %s · P %s · Q %s)", pctText(f.OEE), pctText(f.Availability), pctText(f.Performance), pctText(f.Quality))
}

// Summary is the day report in a few lines of plain text: plant totals,
// each line, the largest downtime reasons and the orders at risk.
func (r DayReport) Summary() string {
	var b strings.Builder
	t := r.PlantTotals
	fmt.Fprintf(&b, "Plant: good %d, scrap %d (%s), planned %d (attainment %s), %s, labour %.2f h, orders completed %d, at risk %d\n",
		t.Good, t.Reject, pctText(t.ScrapRate), t.Planned, pctText(t.Attainment), oeeText(r.Plant), t.LabourHours, t.Completed, t.AtRisk)
	for _, l := range r.Lines {
		d := l.Day.Figures
		fmt.Fprintf(&b, "%s: good %d, scrap %d, OEE %s\n", l.Line, d.Good, d.Reject, pctText(d.OEE))
	}
	if len(r.DowntimePareto) > 0 {
		var parts []string
		for i, p := range r.DowntimePareto {
			if i == 5 {
				break
			}
			parts = append(parts, fmt.Sprintf("%s %.1f min", p.Label, p.Seconds/60))
		}
		b.WriteString("Downtime, largest first: " + strings.Join(parts, "; ") + "\n")
	}
	for _, o := range r.OrdersAtRisk {
		late := ""
		if o.Late {
			late = ", late"
		}
		fmt.Fprintf(&b, "At risk: %s (%s), %d of %d still to make%s\n", o.Number, o.Product, o.Remaining, o.Quantity, late)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Summary is the shift report in a few lines: plant totals and each line.
func (r ShiftReport) Summary() string {
	var b strings.Builder
	p := r.Plant
	fmt.Fprintf(&b, "Plant: good %d, scrap %d, %s\n", p.Good, p.Reject, oeeText(p))
	for _, l := range r.Lines {
		fmt.Fprintf(&b, "%s: good %d, scrap %d, OEE %s\n", l.Line, l.Good, l.Reject, pctText(l.OEE))
	}
	return strings.TrimRight(b.String(), "\n")
}

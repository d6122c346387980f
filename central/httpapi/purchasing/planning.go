package purchasing

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	pstore "github.com/linewise/linewise/central/store/purchasing"
)

func (a *api) runMRP(c echo.Context) error {
	ps, err := a.Store.RunMRP(ctx(c), a.actor(c))
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []domain.Proposal{}
	}
	return c.JSON(http.StatusOK, ps)
}

func (a *api) listProposals(c echo.Context) error {
	kind, status := c.QueryParam("kind"), c.QueryParam("status")
	if kind != "" {
		if _, err := oneOf("kind", kind, []string{"purchase", "production"}); err != nil {
			return err
		}
	}
	if status != "" {
		if _, err := oneOf("status", status, []string{"open", "converted", "dismissed"}); err != nil {
			return err
		}
	}
	ps, err := a.Store.ListProposals(ctx(c), kind, status)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ps)
}

type convertBody struct {
	Requisitions []string `json:"requisitions"`
}

func (a *api) convert(c echo.Context) error {
	var b convertBody
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	pos, err := a.Store.ConvertRequisitions(ctx(c), b.Requisitions, a.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, pos)
}

func (a *api) dismiss(c echo.Context) error {
	id := c.Param("id")
	if domain.TextRule(id, 80) != "" || id == "" {
		return domain.Invalid("id", "must be a proposal id")
	}
	var b reasonBody
	if err := a.Bind(c, &b); err != nil {
		return err
	}
	if err := a.Store.DismissProposal(ctx(c), id, b.Reason, a.actor(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// period reads from= and to= (dates, to inclusive) with a default span
// back from today.
func period(c echo.Context, back func(time.Time) time.Time) (time.Time, time.Time, error) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	from, to := back(today), today.AddDate(0, 0, 1)
	if v := c.QueryParam("from"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil || domain.CheckTime("from", t) != nil {
			return from, to, domain.Invalid("from", "must be a date like 2026-03-01")
		}
		from = t
	}
	if v := c.QueryParam("to"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil || domain.CheckTime("to", t) != nil {
			return from, to, domain.Invalid("to", "must be a date like 2026-03-31 (inclusive)")
		}
		to = t.AddDate(0, 0, 1)
	}
	if !from.Before(to) {
		return from, to, domain.Invalid("to", "must not be before from")
	}
	if to.Sub(from) > 3*366*24*time.Hour {
		return from, to, domain.Invalid("to", "the period must be at most three years")
	}
	return from, to, nil
}

func (a *api) scorecards(c echo.Context) error {
	from, to, err := period(c, func(t time.Time) time.Time { return t.AddDate(0, 0, -364) })
	if err != nil {
		return err
	}
	scs, err := a.Store.Scorecards(ctx(c), "", from, to)
	if err != nil {
		return err
	}
	if scs == nil {
		scs = []pstore.Scorecard{}
	}
	return c.JSON(http.StatusOK, scs)
}

func (a *api) trend(c echo.Context) error {
	code, err := pathID(c, "code")
	if err != nil {
		return err
	}
	from, to, err := period(c, func(t time.Time) time.Time {
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -11, 0)
	})
	if err != nil {
		return err
	}
	scs, err := a.Store.Trend(ctx(c), code, from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, scs)
}

func pctCell(p *float64) any {
	if p == nil {
		return ""
	}
	return *p
}

func (a *api) exportScorecards(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		from, to, err := period(c, func(t time.Time) time.Time { return t.AddDate(0, 0, -364) })
		if err != nil {
			return err
		}
		scs, err := a.Store.Scorecards(ctx(c), "", from, to)
		if err != nil {
			return err
		}
		rows := make([][]any, len(scs))
		for i, sc := range scs {
			rows[i] = []any{sc.Supplier, sc.Name, sc.Status, sc.From.Format(time.DateOnly), sc.To.AddDate(0, 0, -1).Format(time.DateOnly),
				int64(sc.Receipts), int64(sc.OnTime), pctCell(sc.OnTimePct), int64(sc.Inspected), int64(sc.Accepted), int64(sc.Deviations),
				int64(sc.Rejected), pctCell(sc.QualityPct), sc.Paid.String(), sc.Listed.String(), sc.PriceVariance.String(), pctCell(sc.PriceVarPct)}
		}
		return a.Sheet(c, format, "scorecards", []string{"supplier", "name", "status", "from", "to", "receipts", "on_time", "on_time_pct",
			"inspected", "accepted", "deviations", "rejected", "quality_pct", "paid", "listed", "price_variance", "price_variance_pct"}, rows)
	}
}

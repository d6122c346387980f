package reports

import (
	"sort"
	"time"

	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/store"
)

// Groupings of the order statistics.
const (
	ByProduct  = "product"
	ByCustomer = "customer"
	ByStatus   = "status"
)

// OrderGroup is the orders of one product, customer or status.
type OrderGroup struct {
	Key       string `json:"key"`
	Orders    int    `json:"orders"`
	Quantity  int64  `json:"quantity"`
	Good      int64  `json:"good"`
	Completed int    `json:"completed"`
	// OnTime and Late count the completed orders with a due time finished
	// by it or after it; Overdue the open ones already past it.
	OnTime  int `json:"on_time"`
	Late    int `json:"late"`
	Overdue int `json:"overdue"`
	// OnTimeRate is OnTime / (OnTime + Late): the on-time delivery of the
	// completed orders that had a due time; null without one.
	OnTimeRate *float64 `json:"on_time_rate"`
	// LeadTimeH is the mean time from an order's entry to its completion,
	// in hours, over the completed orders; null without one.
	LeadTimeH *float64 `json:"lead_time_h"`
	leadSum   float64
}

// OrderStatistics are the orders of a range grouped, with their total.
type OrderStatistics struct {
	From   string            `json:"from"`
	To     string            `json:"to"`
	Basis  string            `json:"basis"`
	By     string            `json:"by"`
	Groups []OrderGroup      `json:"groups"`
	Total  OrderGroup        `json:"total"`
	Orders []store.OrderStat `json:"orders"`
}

func (g *OrderGroup) add(o store.OrderStat, now time.Time) {
	g.Orders++
	g.Quantity += o.Quantity
	g.Good += o.Good
	if o.Completed != nil {
		g.Completed++
		g.leadSum += o.Completed.Sub(o.Created).Hours()
		if o.Due != nil {
			if o.Completed.After(*o.Due) {
				g.Late++
			} else {
				g.OnTime++
			}
		}
	} else if o.Due != nil && o.Due.Before(now) && o.Status != "cancelled" && o.Status != "closed" {
		g.Overdue++
	}
}

func (g *OrderGroup) finish() {
	if n := g.OnTime + g.Late; n > 0 {
		v := float64(g.OnTime) / float64(n)
		g.OnTimeRate = &v
	}
	if g.Completed > 0 {
		v := g.leadSum / float64(g.Completed)
		g.LeadTimeH = &v
	}
}

// Orders groups orders by product, customer or status (groups by key;
// orders without a customer under ""), judging what is overdue at now.
func Orders(orders []store.OrderStat, by string, now time.Time) OrderStatistics {
	out := OrderStatistics{By: by, Groups: []OrderGroup{}, Orders: orders}
	groups := map[string]*OrderGroup{}
	for _, o := range orders {
		key := o.Product
		switch by {
		case ByCustomer:
			key = o.Customer
		case ByStatus:
			key = o.Status
		}
		g := groups[key]
		if g == nil {
			g = &OrderGroup{Key: key}
			groups[key] = g
		}
		g.add(o, now)
		out.Total.add(o, now)
	}
	for _, g := range groups {
		g.finish()
		out.Groups = append(out.Groups, *g)
	}
	sort.Slice(out.Groups, func(i, j int) bool { return out.Groups[i].Key < out.Groups[j].Key })
	out.Total.finish()
	return out
}

// OutputRow is a line's output of one product on one plant day.
type OutputRow struct {
	Date      string   `json:"date"`
	Line      string   `json:"line"`
	Product   string   `json:"product"`
	Good      int64    `json:"good"`
	Reject    int64    `json:"reject"`
	Produced  int64    `json:"produced"`
	ScrapRate *float64 `json:"scrap_rate"`
}

// OutputTotal sums output rows under a key (a line, product or day).
type OutputTotal struct {
	Key       string   `json:"key"`
	Good      int64    `json:"good"`
	Reject    int64    `json:"reject"`
	Produced  int64    `json:"produced"`
	ScrapRate *float64 `json:"scrap_rate"`
}

// OutputStatistics is the output of the plant days from..to, per day, line
// and product, with totals by line, by product and by day.
type OutputStatistics struct {
	From      string        `json:"from"`
	To        string        `json:"to"`
	Rows      []OutputRow   `json:"rows"`
	ByLine    []OutputTotal `json:"by_line"`
	ByProduct []OutputTotal `json:"by_product"`
	ByDay     []OutputTotal `json:"by_day"`
	Total     OutputTotal   `json:"total"`
}

// PlantDay is a plant day's date and window.
type PlantDay struct {
	Date string
	oee.Window
}

// PlantDays are the plant days from..to (YYYY-MM-DD, inclusive) in loc
// with the day starting at dayStart.
func PlantDays(from, to string, loc *time.Location, dayStart string) ([]PlantDay, error) {
	f, err := time.ParseInLocation(time.DateOnly, from, loc)
	if err != nil {
		return nil, err
	}
	t, err := time.ParseInLocation(time.DateOnly, to, loc)
	if err != nil {
		return nil, err
	}
	var out []PlantDay
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		w, err := oee.Day(d, loc, dayStart)
		if err != nil {
			return nil, err
		}
		out = append(out, PlantDay{Date: d.Format(time.DateOnly), Window: w})
	}
	return out, nil
}

// Output sums the rollup buckets into the plant days (ordered, adjacent).
func Output(buckets []store.OutputBucket, days []PlantDay) OutputStatistics {
	out := OutputStatistics{Rows: []OutputRow{}, ByLine: []OutputTotal{}, ByProduct: []OutputTotal{}, ByDay: []OutputTotal{}}
	if len(days) == 0 {
		return out
	}
	out.From, out.To = days[0].Date, days[len(days)-1].Date
	rows := map[[3]string]*OutputRow{}
	var keys [][3]string
	for _, b := range buckets {
		i := sort.Search(len(days), func(i int) bool { return days[i].End.After(b.Start) })
		if i == len(days) || b.Start.Before(days[i].Start) {
			continue
		}
		k := [3]string{days[i].Date, b.Line, b.Product}
		r := rows[k]
		if r == nil {
			r = &OutputRow{Date: k[0], Line: k[1], Product: k[2]}
			rows[k] = r
			keys = append(keys, k)
		}
		r.Good += b.Good
		r.Reject += b.Reject
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		if a[1] != b[1] {
			return a[1] < b[1]
		}
		return a[2] < b[2]
	})
	byLine, byProduct, byDay := map[string]*OutputTotal{}, map[string]*OutputTotal{}, map[string]*OutputTotal{}
	add := func(m map[string]*OutputTotal, key string, r *OutputRow) {
		t := m[key]
		if t == nil {
			t = &OutputTotal{Key: key}
			m[key] = t
		}
		t.Good, t.Reject = t.Good+r.Good, t.Reject+r.Reject
	}
	for _, k := range keys {
		r := rows[k]
		r.Produced = r.Good + r.Reject
		r.ScrapRate = ratio(r.Reject, r.Produced)
		out.Rows = append(out.Rows, *r)
		add(byLine, r.Line, r)
		add(byProduct, r.Product, r)
		add(byDay, r.Date, r)
		out.Total.Good, out.Total.Reject = out.Total.Good+r.Good, out.Total.Reject+r.Reject
	}
	list := func(m map[string]*OutputTotal) []OutputTotal {
		res := []OutputTotal{}
		for _, t := range m {
			t.Produced = t.Good + t.Reject
			t.ScrapRate = ratio(t.Reject, t.Produced)
			res = append(res, *t)
		}
		sort.Slice(res, func(i, j int) bool { return res[i].Key < res[j].Key })
		return res
	}
	out.ByLine, out.ByProduct = list(byLine), list(byProduct)
	for _, d := range days { // every day of the range, also one without output
		if byDay[d.Date] == nil {
			byDay[d.Date] = &OutputTotal{Key: d.Date}
		}
	}
	out.ByDay = list(byDay)
	out.Total.Produced = out.Total.Good + out.Total.Reject
	out.Total.ScrapRate = ratio(out.Total.Reject, out.Total.Produced)
	return out
}

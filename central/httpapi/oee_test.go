package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/edge/wire"
)

// seedScenario replays oee.Scenario (the README's worked example, computed
// by hand in central/oee's TestScenarioShift) on line L1 of 2026-03-02:
// its calendar, products, work-order runs, and states and counts as edge
// events. SeedOEEScenario exports it to the browser tests.
func seedScenario(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	sc := oee.Scenario(day)
	sys := domain.Actor{Name: "test", Role: domain.RoleAdmin}
	must(st.ReplaceCalendar(ctx, domain.LineCalendar{Line: "L1",
		Shifts: []domain.Shift{{Line: "L1", Name: "early", Start: "06:00", End: "14:00"}},
		Stops:  []domain.PlannedStop{{ID: "break-0302", Line: "L1", Start: sc.PlannedStops[0].Start, End: sc.PlannedStops[0].End, Reason: "break"}}}, sys))
	for _, p := range []struct {
		code  string
		cycle time.Duration
	}{{"A", 30 * time.Second}, {"B", 20 * time.Second}} {
		must(st.CreateProduct(ctx, domain.Product{Code: p.code, Name: "Part " + p.code, Unit: "pcs"}))
		must(st.SetRouting(ctx, p.code, []domain.RoutingOp{{Seq: 10, Name: "press", LineID: "L1", IdealCycle: p.cycle}}))
		must(st.CreateOrder(ctx, domain.Order{Number: "PO-" + p.code, ProductCode: p.code, Quantity: 1000, Status: domain.StatusReleased}))
		must(st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-" + p.code, OrderNumber: "PO-" + p.code, OperationSeq: 10, LineID: "L1",
			Barcode: "WO-" + p.code, Quantity: 1000, Status: domain.StatusReleased}))
	}
	for _, r := range sc.Runs {
		must(st.StartWorkOrder(ctx, r.WorkOrder, r.Start))
		if !r.End.IsZero() {
			must(st.StopWorkOrder(ctx, r.WorkOrder, r.End))
		}
	}
	var evs []wire.Event
	seq := uint64(0)
	for _, s := range sc.States {
		seq++
		evs = append(evs, wire.Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: wire.TypeState, SourceTime: s.At,
			State: &wire.State{State: s.State, Reason: s.Reason}})
	}
	for _, c := range sc.Counts {
		seq++
		evs = append(evs, wire.Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: wire.TypeCount, SourceTime: c.At,
			Count: &wire.Count{Counter: "parts", Good: c.Good, Reject: c.Reject}})
	}
	_, err := st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: evs})
	must(err)
}

// SeedOEEScenario is seedScenario for the package's external tests.
var SeedOEEScenario = seedScenario

// oeeReply is the part of the OEE reply the tests read.
type oeeReply struct {
	Line   string `json:"line"`
	Period struct {
		Kind  string    `json:"kind"`
		Date  string    `json:"date"`
		Shift string    `json:"shift"`
		From  time.Time `json:"from"`
		To    time.Time `json:"to"`
	} `json:"period"`
	Timezone     string   `json:"timezone"`
	Calendar     float64  `json:"calendar_time_s"`
	Shift        float64  `json:"shift_time_s"`
	Planned      float64  `json:"planned_stop_time_s"`
	NoData       float64  `json:"no_data_time_s"`
	PBT          float64  `json:"planned_busy_time_s"`
	Run          float64  `json:"run_time_s"`
	Good         int64    `json:"good"`
	Reject       int64    `json:"reject"`
	Availability *float64 `json:"availability"`
	Performance  *float64 `json:"performance"`
	Quality      *float64 `json:"quality"`
	OEE          *float64 `json:"oee"`
	TEEP         *float64 `json:"teep"`
	Losses       struct {
		Breakdowns        float64 `json:"breakdowns_s"`
		Setup             float64 `json:"setup_changeover_s"`
		SmallStops        float64 `json:"small_stops_s"`
		ReducedSpeed      float64 `json:"reduced_speed_s"`
		StartupRejects    float64 `json:"startup_rejects_s"`
		ProductionRejects float64 `json:"production_rejects_s"`
	} `json:"losses"`
	Reasons []struct {
		State string  `json:"state"`
		Label string  `json:"label"`
		Time  float64 `json:"time_s"`
	} `json:"downtime_reasons"`
	WorkOrders []struct {
		WorkOrder    string   `json:"work_order"`
		Product      string   `json:"product"`
		Good         int64    `json:"good"`
		Availability *float64 `json:"availability"`
	} `json:"work_orders"`
	Products []struct {
		Product     string   `json:"product"`
		Good        int64    `json:"good"`
		Performance *float64 `json:"performance"`
	} `json:"products"`
}

func approx(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) < 1e-9 }

// TestLineOEERoute, on SQLite and PostgreSQL: the scripted shift stored as
// events gives, through GET /api/v1/lines/{id}/oee, the figures worked out
// by hand in central/oee (TestScenarioShift) for the shift by name, for
// the same from..to, and for the current shift; the plant day (starting
// 06:00 here) has the same figures over a 24 h calendar; bad parameters
// are named.
func TestLineOEERoute(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e := newEnvOn(t, driver)
			e.now = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
			cfg := oee.DefaultConfig()
			cfg.DayStart = "06:00"
			cfg.Reasons = oee.ReasonMap{"12": {Text: "Jam at infeed", Category: "Mechanical"}}
			e.api.opts.Reports = &cfg
			seedScenario(t, e.st)

			get := func(query string) oeeReply {
				t.Helper()
				res, body := e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/lines/L1/oee"+query, nil)
				if res.StatusCode != 200 {
					t.Fatalf("GET oee%s: %d %s", query, res.StatusCode, body)
				}
				var out oeeReply
				if err := json.Unmarshal(body, &out); err != nil {
					t.Fatal(err)
				}
				return out
			}
			check := func(name string, r oeeReply, calendar float64) {
				t.Helper()
				if r.Shift != 480*60 || r.Planned != 30*60 || r.NoData != 40*60 || r.PBT != 24600 || r.Run != 21120 ||
					r.Good != 770 || r.Reject != 19 || r.Calendar != calendar {
					t.Errorf("%s: times and counts %+v", name, r)
				}
				if !approx(r.Availability, 21120.0/24600) || !approx(r.Performance, 19180.0/21120) ||
					!approx(r.Quality, 770.0/789) || !approx(r.OEE, 0.76089935804301) ||
					!approx(r.TEEP, 0.76089935804301*24600/(calendar)) {
					t.Errorf("%s: A %v P %v Q %v OEE %v TEEP %v", name, deref(r.Availability), deref(r.Performance),
						deref(r.Quality), deref(r.OEE), deref(r.TEEP))
				}
				l := r.Losses
				if l.Breakdowns != 1560 || l.Setup != 1500 || l.SmallStops != 420 || l.ReducedSpeed != 1940 ||
					l.StartupRejects != 80 || l.ProductionRejects != 400 {
					t.Errorf("%s: six losses %+v", name, l)
				}
				if len(r.Reasons) != 5 || r.Reasons[0].Label != "changeover" || r.Reasons[1].Label != "Jam at infeed" ||
					r.Reasons[4].Label != "unmapped code 99" || r.Reasons[4].Time != 180 {
					t.Errorf("%s: downtime reasons %+v", name, r.Reasons)
				}
				if len(r.WorkOrders) != 2 || r.WorkOrders[0].WorkOrder != "WO-A" || r.WorkOrders[0].Good != 330 ||
					!approx(r.WorkOrders[0].Availability, 183.0/210) || r.WorkOrders[1].Product != "B" {
					t.Errorf("%s: work orders %+v", name, r.WorkOrders)
				}
				if len(r.Products) != 2 || r.Products[1].Product != "B" || r.Products[1].Good != 440 ||
					!approx(r.Products[1].Performance, 20*449/(169*60.0)) {
					t.Errorf("%s: products %+v", name, r.Products)
				}
			}

			shift := get("?period=shift&date=2026-03-02&shift=early")
			check("shift early", shift, 480*60)
			if shift.Period.Kind != "shift" || shift.Period.Shift != "early" || shift.Timezone != "UTC" ||
				!shift.Period.From.Equal(time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)) || !shift.Period.To.Equal(time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)) {
				t.Errorf("shift period %+v in %s", shift.Period, shift.Timezone)
			}
			check("shift by start time", get("?period=shift&date=2026-03-02&shift=06:00"), 480*60)
			check("from..to", get("?"+url.Values{"from": {"2026-03-02T07:00:00+01:00"}, "to": {"2026-03-02T14:00:00Z"}}.Encode()), 480*60)
			check("current shift (the last that ended)", get(""), 480*60)
			day := get("?period=day&date=2026-03-02")
			check("day from 06:00", day, 9*3600) // calendar time observed so far: 06:00 to now, 15:00
			if !day.Period.From.Equal(time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)) || day.Period.Date != "2026-03-02" {
				t.Errorf("day period %+v", day.Period)
			}

			// L2's site is in Shanghai: its plant day from 06:00 begins at
			// 22:00Z the evening before; without shifts anywhere it works
			// around the clock, so it has no shift to report.
			sys := domain.Actor{Name: "test", Role: domain.RoleAdmin}
			ctx := context.Background()
			if err := e.st.SaveMaster(ctx, domain.Site{ID: "SH", Name: "Shanghai plant", Timezone: "Asia/Shanghai"}, domain.SaveCreate, sys); err != nil {
				t.Fatal(err)
			}
			if err := e.st.SaveMaster(ctx, domain.Line{ID: "L2", Name: "Line 2", Site: "SH"}, domain.SaveUpdate, sys); err != nil {
				t.Fatal(err)
			}
			res, body := e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/lines/L2/oee?period=day&date=2026-03-02", nil)
			var l2 oeeReply
			if res.StatusCode != 200 || json.Unmarshal(body, &l2) != nil {
				t.Fatalf("L2 day: %d %s", res.StatusCode, body)
			}
			if l2.Timezone != "Asia/Shanghai" || !l2.Period.From.Equal(time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)) ||
				l2.NoData != 17*3600 || l2.Shift != 17*3600 || l2.Availability != nil {
				t.Errorf("L2 day in Shanghai: %+v", l2) // 22:00Z..now 15:00Z, no state ever: no data
			}
			res, body = e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/lines/L2/oee", nil)
			e.problem(res, body, 400, "period")

			res, body = e.do(nil, "GET", "/api/v1/lines/L1/oee", nil)
			e.problem(res, body, 401, "")
			for _, tc := range []struct{ query, field string }{
				{"?period=year", "period"},
				{"?period=week&shift=early", "shift"},
				{"?period=shift&date=2026-02-30&shift=early", "date"},
				{"?period=shift&date=2026-03-02", "shift"},
				{"?period=shift&date=2026-03-02&shift=late", "shift"},
				{"?period=day&shift=early", "shift"},
				{"?from=2026-03-02T06:00:00Z", "to"},
				{"?to=2026-03-02T06:00:00Z", "from"},
				{"?from=monday&to=2026-03-02T06:00:00Z", "from"},
				{"?from=2026-03-02T06:00:00Z&to=2026-03-02T05:00:00Z", "to"},
				{"?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to"},
				{"?from=2026-03-02T06:00:00Z&to=2026-03-02T07:00:00Z&period=day", "period"},
			} {
				res, body := e.do(e.as[domain.RoleOperator], "GET", "/api/v1/lines/L1/oee"+tc.query, nil)
				e.problem(res, body, 400, tc.field)
			}
			res, body = e.do(e.as[domain.RoleOperator], "GET", "/api/v1/lines/L9/oee", nil)
			e.problem(res, body, 404, "id")
		})
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestOpenAPIDescribesReports: the API document gives the OEE and events
// routes their query parameters and the OEE reply its schema, from the Go
// types it serves.
func TestOpenAPIDescribesReports(t *testing.T) {
	e := newEnvOn(t, store.DriverSQLite)
	res, body := e.do(nil, "GET", "/api/openapi.json", nil)
	if res.StatusCode != 200 {
		t.Fatalf("openapi: %d", res.StatusCode)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
			Responses map[string]struct {
				Content map[string]struct {
					Schema json.RawMessage `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	params := func(path string) string {
		var names []string
		for _, p := range doc.Paths[path]["get"].Parameters {
			names = append(names, p.In+":"+p.Name)
		}
		return strings.Join(names, " ")
	}
	if got := params("/api/v1/lines/{id}/oee"); got != "path:id query:from query:to query:period query:date query:shift" {
		t.Errorf("oee parameters: %s", got)
	}
	if got := params("/api/v1/events"); !strings.Contains(got, "query:cursor") || !strings.Contains(got, "query:work_order") {
		t.Errorf("events parameters: %s", got)
	}
	var schema struct {
		Properties map[string]struct {
			Type       string `json:"type"`
			Nullable   bool   `json:"nullable"`
			Properties map[string]struct {
				Type string `json:"type"`
			} `json:"properties"`
			Items struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"items"`
		} `json:"properties"`
	}
	raw := doc.Paths["/api/v1/lines/{id}/oee"]["get"].Responses["200"].Content["application/json"].Schema
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatalf("oee schema %s: %v", raw, err)
	}
	p := schema.Properties
	if p["oee"].Type != "number" || !p["oee"].Nullable || p["planned_busy_time_s"].Type != "number" ||
		p["losses"].Properties["breakdowns_s"].Type != "number" || p["period"].Properties["kind"].Type != "string" ||
		p["downtime_reasons"].Items.Properties["label"] == nil || p["work_orders"].Items.Properties["availability"] == nil {
		t.Errorf("oee schema: %s", raw)
	}
}

// TestLineStatesRoute, on SQLite and PostgreSQL: the scripted shift's
// stops through GET /api/v1/lines/{id}/states, filtered by class, with the
// reason shown and the work order that ran; a bad class is named.
func TestLineStatesRoute(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e := newEnvOn(t, driver)
			e.now = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
			seedScenario(t, e.st)
			res, body := e.do(e.as[domain.RoleOperator], "GET", "/api/v1/lines/L1/states?period=shift&date=2026-03-02&shift=early&class=breakdown,small_stop", nil)
			var r struct {
				Period struct {
					Shift string `json:"shift"`
				} `json:"period"`
				Intervals []struct {
					Class     string    `json:"class"`
					Label     string    `json:"label"`
					Start     time.Time `json:"start"`
					Time      float64   `json:"time_s"`
					Busy      float64   `json:"planned_busy_s"`
					WorkOrder string    `json:"work_order"`
				} `json:"intervals"`
			}
			if res.StatusCode != 200 || json.Unmarshal(body, &r) != nil {
				t.Fatalf("states: %d %s", res.StatusCode, body)
			}
			var got []string
			for _, iv := range r.Intervals {
				got = append(got, iv.Class+" "+iv.Start.Format("15:04")+" "+iv.Label+" "+strconvF(iv.Time)+" "+iv.WorkOrder)
			}
			want := "breakdown 07:00 unmapped code 12 1200 WO-A|small_stop 08:00 unmapped code 99 180 WO-A|breakdown 13:30 no reason given 360 WO-B"
			if strings.Join(got, "|") != want || r.Period.Shift != "early" {
				t.Errorf("stops of shift %q:\n got %s\nwant %s", r.Period.Shift, strings.Join(got, "|"), want)
			}
			res, body = e.do(e.as[domain.RoleOperator], "GET", "/api/v1/lines/L1/states?class=down", nil)
			e.problem(res, body, 400, "class")
			res, body = e.do(e.as[domain.RoleOperator], "GET", "/api/v1/lines/L1/states?period=year", nil)
			e.problem(res, body, 400, "period")
		})
	}
}

func strconvF(f float64) string { b, _ := json.Marshal(f); return string(b) }

// TestDailyReportRoute, on SQLite and PostgreSQL: the plant day of the
// scripted shift (day from 06:00, asked at 17:00): L1's day and its one shift carry the
// hand-computed figures, L2 (no state ever) only no-data time, and the
// plant totals are the sums with ratios of the sums.
func TestDailyReportRoute(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			e := newEnvOn(t, driver)
			e.now = time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC) // the day from 06:00 observed for 11 h
			cfg := oee.DefaultConfig()
			cfg.DayStart = "06:00"
			e.api.opts.Reports = &cfg
			seedScenario(t, e.st)
			res, body := e.do(e.as[domain.RolePlanner], "GET", "/api/v1/reports/daily?date=2026-03-02", nil)
			var r struct {
				Date  string `json:"date"`
				Lines []struct {
					Line string `json:"line"`
					Day  struct {
						PBT    float64  `json:"planned_busy_time_s"`
						NoData float64  `json:"no_data_time_s"`
						OEE    *float64 `json:"oee"`
					} `json:"day"`
					Shifts []struct {
						Name string   `json:"name"`
						PBT  float64  `json:"planned_busy_time_s"`
						OEE  *float64 `json:"oee"`
					} `json:"shifts"`
				} `json:"lines"`
				Plant struct {
					PBT          float64  `json:"planned_busy_time_s"`
					NoData       float64  `json:"no_data_time_s"`
					Good         int64    `json:"good"`
					Availability *float64 `json:"availability"`
					OEE          *float64 `json:"oee"`
				} `json:"plant"`
			}
			if res.StatusCode != 200 || json.Unmarshal(body, &r) != nil {
				t.Fatalf("daily: %d %s", res.StatusCode, body)
			}
			if r.Date != "2026-03-02" || len(r.Lines) != 2 || r.Lines[0].Line != "L1" || r.Lines[1].Line != "L2" {
				t.Fatalf("daily report lines: %s", body)
			}
			l1, l2 := r.Lines[0], r.Lines[1]
			if l1.Day.PBT != 24600 || !approx(l1.Day.OEE, 0.76089935804301) || len(l1.Shifts) != 1 || l1.Shifts[0].Name != "early" ||
				l1.Shifts[0].PBT != 24600 || !approx(l1.Shifts[0].OEE, 0.76089935804301) {
				t.Errorf("L1: %+v", l1)
			}
			if l2.Day.PBT != 0 || l2.Day.NoData != 11*3600 || l2.Day.OEE != nil || len(l2.Shifts) != 0 {
				t.Errorf("L2: %+v", l2)
			}
			p := r.Plant
			if p.PBT != 24600 || p.NoData != 40*60+11*3600 || p.Good != 770 || !approx(p.Availability, 21120.0/24600) || !approx(p.OEE, 0.76089935804301) {
				t.Errorf("plant: %+v", p)
			}
			res, body = e.do(e.as[domain.RolePlanner], "GET", "/api/v1/reports/daily?date=2-3-2026", nil)
			e.problem(res, body, 400, "date")

			// The same day as a workbook: the lines' days, the plant total
			// (bold), the shift, downtime by reason and a chart sheet.
			res, body = e.do(e.as[domain.RolePlanner], "GET", "/api/v1/reports/daily.xlsx?date=2026-03-02", nil)
			if res.StatusCode != 200 || res.Header.Get("Content-Disposition") != `attachment; filename="daily-2026-03-02.xlsx"` {
				t.Fatalf("daily.xlsx: %d %q", res.StatusCode, res.Header.Get("Content-Disposition"))
			}
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := strings.Join(f.GetSheetList(), ","); got != "Daily report,Production,Downtime,Pareto,Chart" {
				t.Errorf("sheets %s", got)
			}
			cell := func(sheet, ref string) string {
				t.Helper()
				v, err := f.GetCellValue(sheet, ref)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			for ref, want := range map[string]string{
				"A3": "Line", "C3": "Planned busy time (h)", "K3": "OEE",
				"A4": "L1", "C4": "6.83", "F4": "770", "K4": "76.1%", // 24600 s = 6.83 h
				"A5": "L2", "K5": "",
				"A6": "Plant", "F6": "770", "G6": "19", "H6": "85.9%", "K6": "76.1%",
				"A8": "Shifts", "A9": "L1", "B9": "early", "K9": "76.1%",
			} {
				if got := cell("Daily report", ref); got != want {
					t.Errorf("Daily report!%s = %q, want %q", ref, got, want)
				}
			}
			if got := cell("Downtime", "C2") + " " + cell("Downtime", "E2"); got != "changeover 25" {
				t.Errorf("first downtime row: %q", got)
			}
		})
	}
}

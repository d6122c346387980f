package oee

import "time"

// Scenario is the worked example of the README: one scripted shift,
// 06:00-14:00 UTC on day (its date is what counts), on a line that runs
// product A (ideal cycle 30 s) then B (20 s). TestScenarioShift works it
// out by hand; the HTTP test replays it through the store, and the demo may
// seed it as history.
//
//	05:50 running  (WO-A, product A, ideal cycle 30 s; its run 05:00-09:30)
//	07:00 down "12"        -> 07:20  20 min  mapped: "Jam at infeed" (Mechanical)
//	07:20 running
//	08:00 down "99"        -> 08:03   3 min  unmapped code 99
//	08:03 running
//	08:30 idle "starved"   -> 08:34   4 min
//	08:34 running
//	09:30 setup "changeover" -> 09:55 25 min (WO-B, product B, 20 s, runs from 09:30)
//	09:55 running          (startup window 09:55-10:05)
//	10:00 planned_stop "break" -> 10:30 (and the calendar's planned break 10:00-10:30)
//	10:30 running
//	12:00 no_data          -> 12:40  40 min  the edge lost the PLC
//	12:40 running
//	13:30 down (no reason) -> 13:36   6 min
//	13:36 running          until 14:00 and on
//
// Counts (good/reject by source time):
//
//	A: 06:30 100/2, 07:50 90/3, 09:00 140/5          = 330 good, 10 reject
//	B: 10:04 10/4 (in the startup window), 11:30 230/3, 12:45 80/0,
//	   13:59 120/2                                    = 440 good,  9 reject
func Scenario(day time.Time) Input {
	at := func(hh, mm int) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, time.UTC)
	}
	return Input{
		From: at(6, 0), To: at(14, 0),
		Shifts:       []Window{{at(6, 0), at(14, 0)}},
		PlannedStops: []Window{{at(10, 0), at(10, 30)}},
		States: []StateChange{
			{at(5, 50), StateRunning, ""},
			{at(7, 0), StateDown, "12"}, {at(7, 20), StateRunning, ""},
			{at(8, 0), StateDown, "99"}, {at(8, 3), StateRunning, ""},
			{at(8, 30), StateIdle, "starved"}, {at(8, 34), StateRunning, ""},
			{at(9, 30), StateSetup, "changeover"}, {at(9, 55), StateRunning, ""},
			{at(10, 0), StatePlannedStop, "break"}, {at(10, 30), StateRunning, ""},
			{at(12, 0), StateNoData, ""}, {at(12, 40), StateRunning, ""},
			{at(13, 30), StateDown, ""}, {at(13, 36), StateRunning, ""},
		},
		Runs: []Run{
			{WorkOrder: "WO-A", Order: "PO-A", Product: "A", Start: at(5, 0), End: at(9, 30)},
			{WorkOrder: "WO-B", Order: "PO-B", Product: "B", Start: at(9, 30)},
		},
		Counts: []Count{
			{At: at(6, 30), Good: 100, Reject: 2, WorkOrder: "WO-A", Order: "PO-A", Product: "A"},
			{At: at(7, 50), Good: 90, Reject: 3, WorkOrder: "WO-A", Order: "PO-A", Product: "A"},
			{At: at(9, 0), Good: 140, Reject: 5, WorkOrder: "WO-A", Order: "PO-A", Product: "A"},
			{At: at(10, 4), Good: 10, Reject: 4, WorkOrder: "WO-B", Order: "PO-B", Product: "B"},
			{At: at(11, 30), Good: 230, Reject: 3, WorkOrder: "WO-B", Order: "PO-B", Product: "B"},
			{At: at(12, 45), Good: 80, Reject: 0, WorkOrder: "WO-B", Order: "PO-B", Product: "B"},
			{At: at(13, 59), Good: 120, Reject: 2, WorkOrder: "WO-B", Order: "PO-B", Product: "B"},
		},
		IdealCycle: map[string]time.Duration{"A": 30 * time.Second, "B": 20 * time.Second},
		Reasons:    ReasonMap{"12": {Text: "Jam at infeed", Category: "Mechanical"}},
	}
}

// Package oee computes overall equipment effectiveness to ISO 22400-2 for
// one line over one period, from what the line reported: its state changes,
// its count events and its work-order runs, set against its shift calendar,
// planned stops and the ideal cycle time of each product on that line.
//
// It is pure logic: no SQL, no HTTP, no clock of its own (the caller says
// what "now" is). It must never guess: time it cannot classify is "no
// data", a product without an ideal cycle leaves performance unknown (nil)
// rather than wrong, and a bare fault code nobody mapped reads
// "unmapped code 99", never blank.
//
// # Time model
//
// The period [From, To) is cut at Now (time after Now is not observed yet)
// into the calendar time C. Within C:
//
//   - shift time: C inside the line's shift windows;
//   - planned stop time: shift time inside a planned stop of the calendar,
//     or while the line reports the planned_stop state, or a stop whose
//     reason the reason map marks planned;
//   - no-data time: shift time, not planned, while the line's state is
//     no_data (the edge could not read it) or before the first state the
//     line ever reported. It is neither run nor down: it is taken out of
//     planned busy time and shown on its own, so a dead link neither
//     flatters nor punishes availability (the share of shift time it ate is
//     visible as no_data_time_s next to the figures);
//   - planned busy time PBT = shift time − planned stop time − no-data time;
//   - PBT = run time + down time + idle time + setup time, by the state.
//
// # Figures
//
//	availability A = run time / PBT
//	performance  P = Σ_products (ideal cycle × produced) / run time
//	quality      Q = good / produced           (produced = good + reject)
//	OEE            = A × P × Q = Σ (ideal cycle × good) / PBT
//	TEEP           = OEE × PBT / C = Σ (ideal cycle × good) / C
//
// With several products A × P × Q is not quite Σ (ideal cycle × good) /
// PBT (Q weighs parts, not ideal time); OEE is A × P × Q as the standard
// defines it, and the six losses add up in time, not in ratio.
//
// A count belongs to the instant of its source time. Counts inside shift
// time count (also those in planned or no-data time: parts are parts; a
// delta reported after a no-data gap can lift P above 1, which is shown
// as is, never clamped); counts outside shift time are reported apart and
// left out of the figures.
//
// # The six big losses (each a time, together PBT − Σ ideal × good)
//
//   - breakdowns: down intervals lasting at least SmallStop (default 5 min);
//     an interval's length is its whole length, also beyond the period, so
//     a long stop cut by a shift boundary stays a breakdown;
//   - setup and changeover: time in the setup state;
//   - small stops and idling: down intervals shorter than SmallStop, and all
//     idle time (ready but starved or blocked);
//   - reduced speed: run time − Σ ideal cycle × produced (negative when the
//     line beat its ideal cycle: the ideal cycle is then wrong);
//   - startup rejects: ideal cycle × rejects counted within Startup
//     (default 10 min, wall time) after the line entered running from
//     setup, or first ran in a shift window it did not start running;
//   - production rejects: ideal cycle × every other reject.
//
// The first three are availability losses (PBT − run), the fourth the
// performance loss, the last two the quality loss.
package oee

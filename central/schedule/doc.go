// Package schedule is linewise's finite-capacity scheduler: it turns
// production orders (each a routing of operations) into a plan that says, for
// every operation, on which line it runs and when its setup, start and end
// are, respecting line calendars, unavailability (breakdowns), changeovers
// between product families, release times, the routing sequence and frozen
// (already started or near-term) work.
//
// It is pure logic. It must never do I/O, log, read the wall clock for
// planning (the plan's notion of "now" is Problem.Now; the search budget is
// enforced only through the context and Options.Budget timer), keep
// package-level state, or return a partial plan silently: an input it cannot
// plan is an error that names the order and the step (steps are 1-based).
// With the same Problem, Options.Seed and an iteration budget
// (Options.MaxIterations, no Budget) it returns the same Plan.
//
// Model and simplifications, on purpose:
//   - An operation is never split: its setup and its processing lie together
//     inside one working window of its line (calendar windows that touch or
//     overlap are merged first; unavailability windows are cut out of them).
//     A line with an empty calendar is always available.
//   - The setup of an operation is the changeover from the family of the
//     operation that precedes it on the line in time (or the line's
//     InitialFamily) to its own family, and runs right before it.
//   - Frozen operations keep their line, setup start, start and end exactly;
//     they must be a prefix of their order's routing. Other work goes around
//     them.
//   - Horizon only bounds validation (every line needs working time between
//     Now and Horizon); a plan may run past it where calendars allow.
//   - Operations of an order run in the given sequence (step k+1 starts when
//     step k has ended); there are no explicit predecessor lists, so routing
//     cycles cannot occur.
//
// Algorithm: several dispatch rules (Giffler–Thompson active schedule
// generation with EDD, ATCS-style with setups, MWKR, earliest end) build
// starting plans; the best one is improved by a tabu search on the blocks
// of a critical path: swaps of the first and last pairs of each block (N5),
// moves of an inner operation to the block's start or end and of the first
// or last operation into the block (N7), and reassignments of critical
// operations to other eligible lines. Critical paths see through calendar
// gaps (an operation that starts at the first working time its binding
// predecessor allows is on the path). In job shops without calendars,
// setups or frozen work (flexible or not) every move is ranked by the same
// head/tail estimate (Nowicki–Smutnicki, Balas–Vazacopoulos) and only the
// chosen one is decoded; otherwise each candidate is decoded by the
// calendar-aware semi-active schedule builder. Tabu attributes are the
// reversed arcs of a line sequence (and an operation's old line), with
// aspiration by the best plan. When the search stagnates it restarts from an
// elite pool of distinct good plans: half of the time by path relinking
// from one elite plan part of the way towards another, otherwise from an
// elite plan perturbed by random critical moves whose number grows while
// restarts find nothing better. The search is anytime: when the budget or
// the context ends it returns the best plan found.
//
// Repair (Options.Initial): the start is the best of a gap-filling repair
// (gapfill.go: every operation whose place is still valid keeps its line
// and start; what the change displaces goes into the earliest idle gap
// after it is ready, on its line or another eligible one, or, when a gap
// would make its order late, in at the earliest place where the work it
// displaces can move within its own slack — before its routing
// successor's reservation, or for an order's last operation before the
// due date — into a gap or, by an ejection chain of up to four links, into
// the place of other work that can (chains only in the first half of the
// budget); nothing starts before its earlier
// start; orders still newly late then have their delayed operations pulled
// forward where no other order becomes newly late, latefix.go), the
// earlier sequences decoded again (a
// right-shift), and an active schedule that keeps every operation on its
// line and not before its earlier start; when all leave orders newly late
// and time allows, the dispatch rules of a fresh plan compete too. The
// objective then also counts what the repair changes (see stable.go).
// Options.RightShift returns the right-shift alone.
//
// Objectives, compared lexicographically:
//   - ObjectivePlant (default): weighted tardiness, then total setup time,
//     then makespan; a repair compares first the weight of orders newly
//     late, then weighted tardiness, operations moved (a line change counts
//     twice), total start shift, setup time and makespan.
//   - ObjectiveMakespan (the classic job-shop benchmark): makespan, then
//     weighted tardiness, then total setup time.
package schedule

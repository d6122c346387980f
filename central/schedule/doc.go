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
// starting plans; the best one is improved by a tabu search over swaps of
// adjacent operations at the ends of critical blocks (N5/N7-style) and
// reassignments of critical operations to other eligible lines. Every
// candidate is decoded by a calendar-aware semi-active schedule builder. The
// search is anytime: when the budget or the context ends it returns the best
// plan found.
//
// Objectives, compared lexicographically:
//   - ObjectivePlant (default): weighted tardiness, then total setup time,
//     then makespan.
//   - ObjectiveMakespan (the classic job-shop benchmark): makespan, then
//     weighted tardiness, then total setup time.
package schedule

package linesim

import (
	"log"
	"log/slog"
)

// RouteStdlog sends what is printed through the standard log package to
// logger at DEBUG. gopcua's server package (v0.9.1) prints there while it
// builds its address space and starts ("New Node Set: ...", "doing
// objects.", "doing root.", "Started listening on ...") and on some session
// errors; none of it is for an operator. The standard logger is global, so
// only a program's main should call this, once, before starting the
// simulator.
func RouteStdlog(logger *slog.Logger) {
	log.SetFlags(0)
	log.SetOutput(slog.NewLogLogger(logger.With("component", "gopcua").Handler(), slog.LevelDebug).Writer())
}

package broker

import (
	"context"
	"log/slog"
)

// quietLogger wraps the logger handed to mochi-mqtt. mochi's TCP listener
// logs every connection that ends with an error as WARN with an empty
// message (listeners/tcp.go: l.log.Warn("", "error", err)): a client that
// drops its TCP connection, disconnects, or is refused at CONNECT. That is
// one line per client disconnect, not something for an operator, so it
// becomes DEBUG "mqtt connection ended" with the same attributes. Every
// other record passes unchanged.
func quietLogger(log *slog.Logger) *slog.Logger {
	if log == nil {
		log = slog.Default()
	}
	return slog.New(quietHandler{log.Handler()})
}

type quietHandler struct{ slog.Handler }

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message != "" || r.Level != slog.LevelWarn {
		return h.Handler.Handle(ctx, r)
	}
	if !h.Handler.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	d := slog.NewRecord(r.Time, slog.LevelDebug, "mqtt connection ended", r.PC)
	r.Attrs(func(a slog.Attr) bool { d.AddAttrs(a); return true })
	return h.Handler.Handle(ctx, d)
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(as)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name)}
}

// Package logx makes the command's loggers: slog text or JSON on stderr,
// with every secret the command knows removed from every record, whatever
// logged it (the SDK's packages already keep secrets out of their logs;
// this is the second net).
package logx

import (
	"context"
	"io"
	"log/slog"

	"github.com/bearer-go/bearer/internal/redact"
)

// New returns a logger writing to w in format ("text" or "json"; empty is
// text), that redacts every secret of reg from messages and attributes.
func New(w io.Writer, format string, reg *redact.Registry) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(&handler{next: h, reg: reg})
}

// handler redacts each record before the next handler sees it.
type handler struct {
	next slog.Handler
	reg  *redact.Registry
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.reg.Redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &handler{next: h.next.WithAttrs(clean), reg: h.reg}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), reg: h.reg}
}

// attr returns a with every string in it redacted. Values that are not
// strings, numbers, times or groups are printed first, then redacted.
func (h *handler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString, slog.KindAny:
		return slog.String(a.Key, h.reg.Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = h.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	}
	return slog.Attr{Key: a.Key, Value: v}
}

package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/fsdialer/dialer/store"
)

// quietCorruption returns a logger that writes at debug level the records
// whose error is store.ErrCorrupt, whatever level they were logged at.
func quietCorruption(log *slog.Logger) *slog.Logger {
	return slog.New(quietHandler{log.Handler()})
}

type quietHandler struct{ slog.Handler }

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level > slog.LevelDebug && hasCorruptErr(r) {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		q := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
		r.Attrs(func(a slog.Attr) bool {
			q.AddAttrs(a)
			return true
		})
		r = q
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(attrs)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name)}
}

func hasCorruptErr(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && errors.Is(err, store.ErrCorrupt) {
			found = true
		}
		return !found
	})
	return found
}

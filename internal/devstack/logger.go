package devstack

import (
	"context"
	"log/slog"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger routes the embedded Temporal server's logs into the process's slog handler,
// below a level of their own (the server is chatty at Info).
type serverLogger struct {
	l     *slog.Logger
	level slog.Level
}

var _ log.Logger = serverLogger{}
var _ log.WithLogger = serverLogger{}

func newServerLogger(l *slog.Logger, level slog.Level) serverLogger {
	return serverLogger{l: l.With("component", "temporal-server"), level: level}
}

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	if level < s.level || !s.l.Enabled(context.Background(), level) {
		return
	}
	attrs := make([]any, 0, len(tags))
	for _, t := range tags {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	s.l.Log(context.Background(), level, msg, attrs...)
}

func (s serverLogger) Debug(msg string, tags ...tag.Tag) { s.log(slog.LevelDebug, msg, tags) }
func (s serverLogger) Info(msg string, tags ...tag.Tag)  { s.log(slog.LevelInfo, msg, tags) }
func (s serverLogger) Warn(msg string, tags ...tag.Tag)  { s.log(slog.LevelWarn, msg, tags) }
func (s serverLogger) Error(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }

// DPanic, Panic and Fatal are logged as errors; the server decides what happens next.
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }
func (s serverLogger) Panic(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }
func (s serverLogger) Fatal(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }

// With returns a logger that adds the tags to every record.
func (s serverLogger) With(tags ...tag.Tag) log.Logger {
	attrs := make([]any, 0, len(tags))
	for _, t := range tags {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	return serverLogger{l: s.l.With(attrs...), level: s.level}
}

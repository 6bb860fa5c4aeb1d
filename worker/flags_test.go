package main

import (
	"log/slog"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	cases := []struct {
		args     []string
		lag      time.Duration
		level    slog.Level
		wantFail bool
	}{
		{args: nil, lag: time.Second, level: slog.LevelWarn},
		{args: []string{"-dev", "-graph-lag", "0"}, lag: 0, level: slog.LevelWarn},
		{args: []string{"-graph-lag", "2500ms", "-server-log-level", "error"}, lag: 2500 * time.Millisecond, level: slog.LevelError},
		{args: []string{"-server-log-level", "loud"}, wantFail: true},
		{args: []string{"-graph-lag", "soon"}, wantFail: true},
		{args: []string{"extra"}, wantFail: true},
	}
	for _, tc := range cases {
		f, err := parseFlags(tc.args)
		if tc.wantFail {
			if err == nil {
				t.Errorf("%v: parsed, want an error", tc.args)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if f.graphLag != tc.lag || f.serverLogLevel != tc.level {
			t.Errorf("%v: lag %s level %s, want %s %s", tc.args, f.graphLag, f.serverLogLevel, tc.lag, tc.level)
		}
	}
}

package main

import (
	"flag"
	"io"
	"reflect"
	"testing"
)

// Flags may stand before, between or after the positional arguments, with their values.
func TestParseArgsInterspersed(t *testing.T) {
	cases := []struct {
		args  []string
		pos   []string
		sub   string
		until string
		json  bool
	}{
		{[]string{"r-1", "--substitute", "1021", "--until", "2027-03-01"}, []string{"r-1"}, "1021", "2027-03-01", false},
		{[]string{"--substitute=1021", "r-1", "--json"}, []string{"r-1"}, "1021", "", true},
		{[]string{"1001", "--json"}, []string{"1001"}, "", "", true},
		{[]string{"--until", "2027-03-01", "a", "b"}, []string{"a", "b"}, "", "2027-03-01", false},
	}
	for _, tc := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		sub := fs.String("substitute", "", "")
		until := fs.String("until", "", "")
		asJSON := fs.Bool("json", false, "")
		pos, err := parseArgs(fs, tc.args)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if !reflect.DeepEqual(pos, tc.pos) || *sub != tc.sub || *until != tc.until || *asJSON != tc.json {
			t.Errorf("%v: pos %v sub %q until %q json %v", tc.args, pos, *sub, *until, *asJSON)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parseArgs(fs, []string{"x", "--nope"}); err == nil {
		t.Error("an unknown flag was accepted")
	}
}

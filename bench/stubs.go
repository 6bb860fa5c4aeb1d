package main

import (
	"context"
	"io"
)

func runLatency(ctx context.Context, args []string, out io.Writer) error { return nil }
func runAdopt(ctx context.Context, args []string, out io.Writer) error   { return nil }

package main

import (
	"context"
	"io"
)

func runAdopt(ctx context.Context, args []string, out io.Writer) error   { return nil }

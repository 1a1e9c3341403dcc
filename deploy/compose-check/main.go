// compose-check loads docker-compose.yml with compose-go, the loader `docker compose config` uses, and
// fails on any error: the production compose file cannot run here (no Docker engine), so CI checks that
// it stays valid this way.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	path := "docker-compose.yml"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	opts, err := cli.NewProjectOptions([]string{path}, cli.WithOsEnv, cli.WithDotEnv, cli.WithName("carbonid"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "invalid compose file:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: valid, %d services\n", path, len(project.Services))
}

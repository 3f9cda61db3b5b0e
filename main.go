// Command eventingestor is EventIngestor's single binary: the operator, a
// partition's server, a whole local cluster, the load generator, the
// verifier and the WAL inspector are its subcommands.
//
// Flags are defined and parsed here and nowhere else: packages register
// their flags on the FlagSet they are given and take validated Config
// structs.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/eventingestor/eventingestor/ingestor/wal"
	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "eventingestor:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "eventingestor",
		Short:         "Durable, sharded event ingestion on Kubernetes",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newWALCommand())
	return root
}

func newWALCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "wal", Short: "Inspect a partition's write-ahead log"}
	var opts wal.DumpOptions
	dump := &cobra.Command{
		Use:   "dump DIR",
		Short: "Print a shard's WAL: checkpoint, segments and (with --records) records; changes nothing",
		Long: "Print a shard's write-ahead log without changing it. DIR is a shard directory " +
			"(DATA_DIR/shard-NN) or a partition directory, whose shards are all dumped.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return wal.DumpTree(cmd.OutOrStdout(), walfs.OS{}, args[0], opts)
		},
	}
	dump.Flags().BoolVar(&opts.Records, "records", false, "print one line per record")
	dump.Flags().BoolVar(&opts.Data, "data", false, "with --records, print each event's JSON too")
	cmd.AddCommand(dump)
	return cmd
}

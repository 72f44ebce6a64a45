package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"
)

// Output formats (-o).
const (
	formatTable = "table"
	formatJSON  = "json"
	formatYAML  = "yaml"
	formatName  = "name"
)

var formats = []string{formatTable, formatJSON, formatYAML, formatName}

func checkFormat(f string) error {
	for _, ok := range formats {
		if f == ok {
			return nil
		}
	}
	return usagef("-o %q: want one of %s", f, strings.Join(formats, ", "))
}

// view is what a command shows, in every format: json and yaml print the API's answer
// as it came (so fields this CLI does not know yet are not lost; nothing for an answer
// without a body), name the objects' names one a line, table the text and the blocks.
type view struct {
	body   []byte
	names  []string
	text   string
	blocks []block
}

// block is a part of a table view: fields (label, value) or a table (a header and rows),
// under an optional title.
type block struct {
	title  string
	fields [][2]string
	header []string
	rows   [][]string
}

// print writes v to stdout in the chosen format.
func (c *cli) print(v view) error {
	w := c.io.Out
	if (c.output == formatJSON || c.output == formatYAML) && len(bytes.TrimSpace(v.body)) == 0 {
		return nil
	}
	switch c.output {
	case formatJSON:
		var buf bytes.Buffer
		if err := json.Indent(&buf, bytes.TrimSpace(v.body), "", "  "); err != nil {
			return fmt.Errorf("the answer is not JSON: %w", err)
		}
		buf.WriteByte('\n')
		_, err := w.Write(buf.Bytes())
		return err
	case formatYAML:
		b, err := yaml.JSONToYAML(v.body)
		if err != nil {
			return fmt.Errorf("the answer is not JSON: %w", err)
		}
		_, err = w.Write(b)
		return err
	case formatName:
		for _, n := range v.names {
			if _, err := fmt.Fprintln(w, n); err != nil {
				return err
			}
		}
		return nil
	}
	if v.text != "" {
		if _, err := fmt.Fprintln(w, v.text); err != nil {
			return err
		}
	}
	return c.printBlocks(w, v.blocks)
}

// printBlocks aligns each block with a tabwriter; headers and titles are bold on a
// terminal, applied after alignment so escape codes do not count as width.
func (c *cli) printBlocks(w io.Writer, blocks []block) error {
	color := c.colorOut()
	for i, b := range blocks {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if b.title != "" {
			t := b.title + ":"
			if color {
				t = bold(t)
			}
			fmt.Fprintln(w, t)
		}
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 0, 3, ' ', 0)
		for _, f := range b.fields {
			fmt.Fprintf(tw, "%s:\t%s\n", f[0], cell(f[1]))
		}
		if b.header != nil {
			fmt.Fprintln(tw, strings.Join(b.header, "\t"))
			for _, r := range b.rows {
				cells := make([]string, len(r))
				for j, v := range r {
					cells[j] = cell(v)
				}
				fmt.Fprintln(tw, strings.Join(cells, "\t"))
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		out := buf.String()
		if color && b.header != nil {
			first, rest, _ := strings.Cut(out, "\n")
			out = bold(strings.TrimRight(first, " ")) + "\n" + rest
		}
		if _, err := io.WriteString(w, out); err != nil {
			return err
		}
	}
	return nil
}

// cell keeps one value on one line of its column; empty values show as "-".
func cell(v string) string {
	if v == "" {
		return "-"
	}
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(v)
}

// Colour follows https://no-color.org: never when NO_COLOR is set, and only on a terminal.
func (c *cli) colorOut() bool { return c.io.OutTerminal && c.io.Getenv("NO_COLOR") == "" }
func (c *cli) colorErr() bool { return c.io.ErrTerminal && c.io.Getenv("NO_COLOR") == "" }

func bold(s string) string { return "\x1b[1m" + s + "\x1b[0m" }
func red(s string) string  { return "\x1b[31m" + s + "\x1b[0m" }

// progress writes a line about a wait on stderr, for people only: nothing when stderr is
// not a terminal.
func (c *cli) progress(format string, args ...any) {
	if c.io.ErrTerminal {
		fmt.Fprintf(c.io.Err, format+"\n", args...)
	}
}

// note writes a line that is not the command's output (a hint, a warning) on stderr.
func (c *cli) note(format string, args ...any) {
	fmt.Fprintf(c.io.Err, format+"\n", args...)
}

// rawJSON is a value as JSON, for views built by the CLI rather than returned by the API.
func rawJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only the CLI's own plain values come here
	}
	return b
}

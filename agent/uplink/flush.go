package uplink

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/egovnet/egovnet/agent/spool"
)

// FlushResult counts what one flush did.
type FlushResult struct {
	Sent     int
	Rejected int
	Pending  int // left in the spool (collector unreachable or ctx done)
}

// Flush uploads spooled reports oldest first. Acknowledged ones are removed,
// permanently refused ones moved to spool/rejected; the first temporary
// failure stops the flush (the collector is down: the rest would fail too)
// and is returned, with everything still spooled.
func Flush(ctx context.Context, c *Client, credential string, sp *spool.Spool, log *slog.Logger) (FlushResult, error) {
	var res FlushResult
	entries, err := sp.List()
	if err != nil {
		return res, err
	}
	for i, e := range entries {
		if ctx.Err() != nil {
			res.Pending = len(entries) - i
			return res, ctx.Err()
		}
		body, err := sp.Read(e)
		if err != nil {
			res.Pending = len(entries) - i
			return res, err
		}
		err = c.SendReport(ctx, credential, body)
		switch {
		case err == nil:
			if err := sp.Ack(e); err != nil {
				return res, err
			}
			res.Sent++
		case IsPermanent(err):
			log.Warn("collector refused report; moved to spool/rejected", "report", e.Name, "err", err)
			if rerr := sp.Reject(e, err); rerr != nil {
				return res, rerr
			}
			res.Rejected++
		default:
			res.Pending = len(entries) - i
			return res, fmt.Errorf("flush spool: %w", err)
		}
	}
	return res, nil
}

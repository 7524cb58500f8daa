"""Workloads: request traces (`trace`), binned by length (`bins`), priced under each measured
configuration of a campaign (`runs`, `pricing`) by interpolated measurements or the models of
`models` (analytical, learned), and the efficiency sweet spots of a lengths campaign
(`sweetspot`)."""

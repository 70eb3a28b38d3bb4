"""Docker screens and helpers beyond the Images pane: exec/attach, compose projects, volumes and
networks, events, custom commands, marks and bulk actions."""

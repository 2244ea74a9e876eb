// Placeholder entry, replaced by the CLI's commands.
process.exitCode = 0;

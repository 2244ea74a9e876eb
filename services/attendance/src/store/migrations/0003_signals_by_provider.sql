-- A provider reads the signals raised about its own groups: found by the providers a signal names.
CREATE INDEX signals_by_provider ON signals USING gin (provider_ids);

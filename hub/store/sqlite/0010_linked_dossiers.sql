-- The assistant answers a chat linked by a receipt's deep link from that
-- citizen's own dossiers: find the chat's bindings without a scan.
CREATE INDEX link_bindings_by_address ON link_bindings (channel, address);

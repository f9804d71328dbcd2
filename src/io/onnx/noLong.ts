// Stands in for the `long` package (protobufjs's optional 64-bit integer class; vite.config.ts
// aliases it here): protobufjs then reads int64 fields as numbers, which is what the importer
// asks for anyway (`longs: Number`, exact up to 2^53), and the decoder chunk is 10 KiB smaller.
export default null;

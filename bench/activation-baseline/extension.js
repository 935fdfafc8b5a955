// Benchmark baseline: the cost of activating an extension that does nothing.
exports.activate = function activate() {
  return {};
};
exports.deactivate = function deactivate() {};

module.exports = {
  projects: ["<rootDir>/packages/*", "<rootDir>/apps/*", "<rootDir>/tools/*/jest.config.cjs"],
};

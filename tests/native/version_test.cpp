// The core's version (dcn::kVersion) is package.json's: CMake reads it from there (DCN_VERSION), and this test
// fails when a build was configured from another package.json than the one beside it now.
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "deformconv.h"

namespace dcn::testing {
namespace {

TEST(Version, IsPackageJsons) {
  std::ifstream file(DCN_PACKAGE_JSON);
  ASSERT_TRUE(file) << "cannot read " << DCN_PACKAGE_JSON;
  const nlohmann::json package = nlohmann::json::parse(file);
  EXPECT_EQ(std::string(kVersion), package.at("version").get<std::string>());
}

}  // namespace
}  // namespace dcn::testing

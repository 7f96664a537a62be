package org.jenkinsci.plugins.workflow.libs

import java.lang.annotation.Retention
import java.lang.annotation.RetentionPolicy

// Stand-in for pipeline-groovy-lib's @Library, so that a Jenkinsfile compiles.
@Retention(RetentionPolicy.RUNTIME)
@interface Library {
  String[] value()
  boolean changelog() default true
}

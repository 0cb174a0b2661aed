"""scikit-learn charts through wandb.sklearn."""

import wandb
from sklearn.cluster import KMeans
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split

X, y = make_classification(n_samples=300, n_features=6, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
clf = RandomForestClassifier(n_estimators=10, random_state=0).fit(X_train, y_train)
wandb.init(project="sklearn")
wandb.sklearn.plot_classifier(clf, X_train, X_test, y_train, y_test, clf.predict(X_test), clf.predict_proba(X_test),
                              ["neg", "pos"], model_name="RandomForest", feature_names=list("abcdef"))
reg = Ridge().fit(X_train, y_train)
wandb.sklearn.plot_regressor(reg, X_train, X_test, y_train, y_test, model_name="Ridge")
wandb.sklearn.plot_clusterer(KMeans(n_clusters=3, n_init=2, random_state=0), X_train,
                             KMeans(n_clusters=3, n_init=2, random_state=0).fit_predict(X_train))
wandb.finish()

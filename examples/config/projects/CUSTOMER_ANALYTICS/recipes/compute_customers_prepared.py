"""Clean the CRM export and flag customers at risk of churning."""
import dataiku
import numpy as np
import pandas as pd

variables = dataiku.get_custom_variables()
CHURN_THRESHOLD = float(variables.get("churn_threshold", 0.35))

raw = dataiku.Dataset("raw_customers").get_dataframe(
    parse_dates=["signup_date", "last_order_date"], infer_with_pandas=False
)

today = pd.Timestamp.today().normalize()
df = raw.drop_duplicates(subset="customer_id", keep="last").copy()
df["country"] = df["country"].str.strip().str.upper()
df["segment"] = df["segment"].fillna("unknown").str.lower()
df["age_band"] = pd.cut(
    df["age"], bins=[0, 25, 35, 50, 65, 120], labels=["<25", "25-34", "35-49", "50-64", "65+"], right=False
).astype(str)
df["tenure_days"] = (today - df["signup_date"]).dt.days
df["avg_order_value"] = np.where(df["orders_12m"] > 0, df["revenue_12m"] / df["orders_12m"], 0.0)
df["days_since_last_order"] = (today - df["last_order_date"]).dt.days

# A transparent heuristic until the churn model replaces it.
recency = (df["days_since_last_order"].clip(0, 365) / 365.0).fillna(1.0)
tickets = (df["support_tickets"].clip(0, 10) / 10.0).fillna(0.0)
df["is_churn_risk"] = (0.7 * recency + 0.3 * tickets) >= CHURN_THRESHOLD

columns = [
    "customer_id", "signup_date", "country", "segment", "age_band", "tenure_days", "orders_12m",
    "revenue_12m", "avg_order_value", "days_since_last_order", "support_tickets", "is_churn_risk",
]
dataiku.Dataset("customers_prepared").write_with_schema(df[columns])
